{{/* The identity service's own parts of the component templates (see _helpers.tpl), and its
     signing key Secret. */}}

{{- define "meatyapis.fastapi.about" -}}
title: Identity (FastAPI)
database: identity
localPort: 8002
{{- end -}}

{{- define "meatyapis.fastapi.validate" -}}
{{- end -}}

{{- define "meatyapis.fastapi.config" -}}
TOKEN_TTL_SECONDS: {{ .root.Values.fastapi.tokenTtlSeconds | quote }}
{{- end -}}

{{- define "meatyapis.fastapi.secretEnv" -}}
- name: TOKEN_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "meatyapis.tokenSecretName" . }}
      key: {{ .root.Values.fastapi.tokenSecret.existingSecretKey }}
{{- end -}}

{{- define "meatyapis.fastapi.egress" -}}
{{- end -}}

{{- define "meatyapis.tokenSecretName" -}}
{{- $v := .root.Values.fastapi.tokenSecret -}}
{{- default (printf "%s-token" (include "meatyapis.component.fullname" (dict "root" .root "component" "fastapi"))) $v.existingSecret -}}
{{- end -}}

{{/* The signing key Secret is generated in the cluster unless an existing one is named or an
     ExternalSecret writes it. */}}
{{- define "meatyapis.tokenGenerator.enabled" -}}
{{- $token := .root.Values.fastapi.tokenSecret -}}
{{- if not (or $token.existingSecret $token.externalSecret.enabled) -}}true{{- end -}}
{{- end -}}

{{/* The generator: meatyapis-common's create-a-Secret-once hook, as YAML (fromYaml it). */}}
{{- define "meatyapis.tokenGenerator" -}}
{{- $ctx := dict "root" .root "component" "fastapi" "job" "token-generator" -}}
{{- $v := .root.Values.fastapi -}}
{{- toYaml (dict
      "name" (printf "%s-token-generator" (include "meatyapis.component.fullname" $ctx))
      "labels" (include "meatyapis.component.labels" $ctx | fromYaml)
      "secretName" (include "meatyapis.tokenSecretName" .)
      "randomKeys" $v.tokenSecret.existingSecretKey
      "secretComponent" "token-secret"
      "image" (default (include "meatyapis.component.image" $ctx) $v.tokenSecret.generator.image)
      "pullPolicy" $v.image.pullPolicy
      "activeDeadlineSeconds" $v.tokenSecret.generator.activeDeadlineSeconds
      "podSecurityContext" $v.podSecurityContext
      "containerSecurityContext" $v.containerSecurityContext) -}}
{{- end -}}
