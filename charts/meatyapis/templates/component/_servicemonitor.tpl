{{- define "meatyapis.component.servicemonitor" -}}
{{- $m := .root.Values.metrics -}}
{{- if and $m.enabled $m.serviceMonitor.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ default .root.Release.Namespace $m.serviceMonitor.namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
    {{- with $m.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- include "meatyapis-common.annotations" (dict "root" .root) }}
spec:
  namespaceSelector:
    matchNames:
      - {{ .root.Release.Namespace }}
  selector:
    matchLabels:
      {{- include "meatyapis.component.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: metrics
      path: {{ include "meatyapis.metrics.path" . }}
      {{- with $m.serviceMonitor.interval }}
      interval: {{ . }}
      {{- end }}
      {{- with $m.serviceMonitor.scrapeTimeout }}
      scrapeTimeout: {{ . }}
      {{- end }}
      # the target labels annotation-based discovery gives (charts/monitoring), which dashboards
      # and rules group by: `service` is the pod's app.kubernetes.io/name, not the Service name
      # (which carries the release name)
      relabelings:
        - sourceLabels: [__meta_kubernetes_namespace]
          targetLabel: namespace
          action: replace
        - sourceLabels: [__meta_kubernetes_pod_name]
          targetLabel: pod
          action: replace
        - sourceLabels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
          targetLabel: service
          action: replace
{{- end }}
{{- end -}}
