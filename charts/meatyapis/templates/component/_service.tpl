{{- define "meatyapis.component.service" -}}
{{- $v := index .root.Values .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $v.service.annotations) }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "meatyapis.component.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
    {{- if .root.Values.metrics.enabled }}
    # for a ServiceMonitor; Ingress, Route and HTTPRoute send traffic to `http` only
    - name: metrics
      port: {{ $v.metricsPort }}
      targetPort: metrics
      protocol: TCP
    {{- end }}
{{- end -}}


{{/* The closed Service: no selector, so no endpoints and nothing behind it. The Ingress and the
     OpenShift Route send `/metrics` here (the longest path wins), so the metrics are never
     reachable from outside; Prometheus scrapes the pods directly. */}}
{{- define "meatyapis.component.closedServiceName" -}}
{{- printf "%s-closed" (include "meatyapis.component.fullname" .) -}}
{{- end -}}

{{- define "meatyapis.component.closedService" -}}
{{- $v := index .root.Values .component -}}
{{- if or $v.ingress.enabled (include "meatyapis.component.routeCoversMetrics" .) }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "meatyapis.component.closedServiceName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" (dict "root" .root "component" .component "job" "closed") | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root) }}
spec:
  type: ClusterIP
  ports:
    - name: http
      port: {{ $v.service.port }}
      protocol: TCP
{{- end }}
{{- end -}}
