{{/* The environment of a component as a YAML map: the ConfigMap's data and the migration
     Job's env (the Job runs before the ConfigMap exists). "core" leaves out extraConfig. */}}
{{- define "meatyapis.component.config" -}}
{{- $c := .component -}}
{{- $root := .root -}}
{{- $v := index $root.Values $c -}}
BIND_HOST: "0.0.0.0"
PORT: {{ $v.containerPort | quote }}
METRICS_PORT: {{ $v.metricsPort | quote }}
WEB_CONCURRENCY: {{ $v.workers | quote }}
LOG_LEVEL: {{ $v.logLevel | quote }}
FORWARDED_ALLOW_IPS: {{ $v.forwardedAllowIps | quote }}
PROMETHEUS_MULTIPROC_DIR: /tmp/prometheus-multiproc
WORKER_TMP_DIR: /dev/shm
GRACEFUL_TIMEOUT: {{ $v.gracefulTimeout | quote }}
KEEPALIVE: {{ $v.keepalive | quote }}
METRICS_ENABLED: {{ $root.Values.metrics.enabled | quote }}
{{- if eq $v.database.type "sqlite" }}
DATABASE_URL: {{ printf "sqlite:////data/%s.db" (include (printf "meatyapis.%s.about" $c) . | fromYaml).database | quote }}
{{- end }}
{{- with include (printf "meatyapis.%s.config" $c) . }}
{{ . }}
{{- end }}
{{- if not .core }}
{{- range $key, $value := $v.extraConfig }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root) }}
data:
  {{- include "meatyapis.component.config" . | nindent 2 }}
{{- end -}}
