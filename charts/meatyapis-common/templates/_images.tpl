{{/* An image reference from its values (key: image, with registry, repository, tag, digest):
     global.imageRegistry overrides the registry, a digest replaces the tag, an empty tag is the
     chart's appVersion. */}}
{{- define "meatyapis-common.image" -}}
{{- $image := .image -}}
{{- $repository := $image.repository -}}
{{- with default $image.registry .root.Values.global.imageRegistry -}}
{{- $repository = printf "%s/%s" . $image.repository -}}
{{- end -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{/* A pod's imagePullSecrets (global.imagePullSecrets); nothing when there are none. */}}
{{- define "meatyapis-common.imagePullSecrets" -}}
{{- with .root.Values.global.imagePullSecrets -}}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}
