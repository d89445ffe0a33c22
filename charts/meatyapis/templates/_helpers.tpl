{{/*
Names, labels and images shared by every template. Component templates receive a context
`dict "root" $ "c" "flask"` (or "fastapi"); see _component.tpl.
*/}}

{{- define "meatyapis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped prefix: the release name when it already holds the chart name. */}}
{{- define "meatyapis.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "meatyapis.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "meatyapis.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object (root context). */}}
{{- define "meatyapis.labels" -}}
helm.sh/chart: {{ include "meatyapis.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: meatyapis
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata.annotations (indented for metadata) of every object: commonAnnotations plus the
     map given as the optional second list element. */}}
{{- define "meatyapis.annotations" -}}
{{- $extra := dict -}}
{{- if gt (len .) 1 }}{{ $extra = index . 1 }}{{ end -}}
{{- $all := merge (dict) ($extra | default dict) ((index . 0).Values.commonAnnotations | default dict) -}}
{{- with $all }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- end -}}

{{/* ---- component helpers: context is (dict "root" $ "c" "flask|fastapi") ---- */}}

{{/* Room is left for the longest suffix, "-fastapi-token-generator" (24 characters). */}}
{{- define "meatyapis.component.fullname" -}}
{{- printf "%s-%s" (include "meatyapis.fullname" .root | trunc 39 | trimSuffix "-") .c -}}
{{- end -}}

{{- define "meatyapis.component.selectorLabels" -}}
app.kubernetes.io/name: meatyapis-{{ .c }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "meatyapis.component.labels" -}}
{{- $labels := merge (include "meatyapis.component.selectorLabels" . | fromYaml) (include "meatyapis.labels" .root | fromYaml) -}}
{{- toYaml $labels -}}
{{- end -}}

{{/* Labels of a helper workload of a component (migration Job, key generator, test pod). */}}
{{- define "meatyapis.component.jobLabels" -}}
{{- $own := dict "app.kubernetes.io/name" (printf "meatyapis-%s" .c) "app.kubernetes.io/component" .job -}}
{{- toYaml (merge $own (include "meatyapis.labels" .root | fromYaml)) -}}
{{- end -}}

{{- define "meatyapis.component.serviceAccountName" -}}
{{- $v := index .root.Values .c -}}
{{- if $v.serviceAccount.create -}}
{{- default (include "meatyapis.component.fullname" .) $v.serviceAccount.name -}}
{{- else -}}
{{- default "default" $v.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "meatyapis.component.image" -}}
{{- $v := index .root.Values .c -}}
{{- $registry := default $v.image.registry .root.Values.global.imageRegistry -}}
{{- $repository := ternary (printf "%s/%s" $registry $v.image.repository) $v.image.repository (ne $registry "") -}}
{{- if $v.image.digest -}}
{{- printf "%s@%s" $repository $v.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $v.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "meatyapis.component.serviceHost" -}}
{{- printf "%s.%s.svc.%s" (include "meatyapis.component.fullname" .) .root.Release.Namespace .root.Values.global.clusterDomain -}}
{{- end -}}

{{- define "meatyapis.component.url" -}}
{{- $v := index .root.Values .c -}}
{{- printf "http://%s:%d" (include "meatyapis.component.serviceHost" .) (int $v.service.port) -}}
{{- end -}}

{{- define "meatyapis.component.pvcName" -}}
{{- $v := index .root.Values .c -}}
{{- default (printf "%s-data" (include "meatyapis.component.fullname" .)) $v.database.sqlite.existingClaim -}}
{{- end -}}

{{- define "meatyapis.tokenSecretName" -}}
{{- $v := .Values.fastapi.tokenSecret -}}
{{- default (printf "%s-token" (include "meatyapis.component.fullname" (dict "root" . "c" "fastapi"))) $v.existingSecret -}}
{{- end -}}

{{- define "meatyapis.tokenGenerator.enabled" -}}
{{- $token := .Values.fastapi.tokenSecret -}}
{{- if not (or $token.existingSecret $token.externalSecret.enabled) -}}true{{- end -}}
{{- end -}}

{{/* The metrics endpoint: the services serve it on their http port at this fixed path. */}}
{{- define "meatyapis.metrics.path" -}}/metrics{{- end -}}

{{/* Hook annotations of the token generator's objects, at the given weight. */}}
{{- define "meatyapis.tokenGenerator.hook" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ . | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}
