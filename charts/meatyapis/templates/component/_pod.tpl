{{/* Pod building blocks of the Deployment and the migration Job. */}}

{{/* Environment from Secrets: the external DATABASE_URL, then the component's own. */}}
{{- define "meatyapis.component.secretEnv" -}}
{{- $v := index .root.Values .component -}}
{{- if eq $v.database.type "external" }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "meatyapis.component.databaseSecretName" . }}
      key: {{ $v.database.external.existingSecretKey }}
{{- end }}
{{- with include (printf "meatyapis.%s.secretEnv" .component) . }}
{{ . }}
{{- end }}
{{- end -}}

{{/* What `migrate` alone needs: the component's own "meatyapis.<component>.migrateEnv". */}}
{{- define "meatyapis.component.migrateEnv" -}}
{{- include (printf "meatyapis.%s.migrateEnv" .component) . -}}
{{- end -}}

{{- define "meatyapis.component.resources" -}}
{{- toYaml (index .root.Values .component).resources -}}
{{- end -}}

{{/* Writable scratch space on a read-only root filesystem. */}}
{{- define "meatyapis.component.scratchVolumes" -}}
{{- $v := index .root.Values .component -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
- name: worker-tmp
  emptyDir:
    medium: Memory
    sizeLimit: {{ $v.tmpSizeLimit }}
- name: prometheus-multiproc
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
{{- end -}}

{{- define "meatyapis.component.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: worker-tmp
  mountPath: /dev/shm
- name: prometheus-multiproc
  mountPath: /tmp/prometheus-multiproc
{{- end -}}

{{- define "meatyapis.component.volumeMounts" -}}
{{- $v := index .root.Values .component -}}
{{ include "meatyapis.component.scratchMounts" . }}
{{- if eq $v.database.type "sqlite" }}
- name: data
  mountPath: /data
{{- end }}
{{- with $v.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The container's environment; "migrate" adds what only the migrations get (the identity
     service's first administrator), never the server. */}}
{{- define "meatyapis.component.env" -}}
{{- $v := index .root.Values .component -}}
envFrom:
  - configMapRef:
      name: {{ include "meatyapis.component.fullname" . }}
  {{- with $v.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $secretEnv := include "meatyapis.component.secretEnv" . }}
{{- $migrateEnv := ternary (include "meatyapis.component.migrateEnv" .) "" (eq (toString .migrate) "true") }}
{{- if or $secretEnv $migrateEnv $v.extraEnv }}
env:
  {{- with $secretEnv }}
  {{- . | trim | nindent 2 }}
  {{- end }}
  {{- with $migrateEnv }}
  {{- . | trim | nindent 2 }}
  {{- end }}
  {{- with $v.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.probe" -}}
{{- $p := index (index .root.Values .component) .probe -}}
{{- if $p.enabled -}}
{{ .probe }}:
  httpGet:
    path: {{ .path }}
    port: http
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.failureThreshold }}
{{- end }}
{{- end -}}
