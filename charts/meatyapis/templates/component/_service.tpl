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
