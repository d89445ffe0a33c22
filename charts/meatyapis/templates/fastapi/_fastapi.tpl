{{/* The identity service's own parts of the component templates (see _helpers.tpl), its
     signing key Secret and its first administrator's Secret. */}}

{{- define "meatyapis.fastapi.about" -}}
title: Identity (FastAPI)
database: identity
localPort: 8002
{{- end -}}

{{- define "meatyapis.fastapi.validate" -}}
{{- $admin := .root.Values.fastapi.bootstrapAdmin -}}
{{- if and $admin.enabled (not (regexMatch "^[a-zA-Z0-9_.-]{3,32}$" (toString $admin.username))) -}}
{{- fail (printf "fastapi.bootstrapAdmin.username=%q must be 3-32 of a-z A-Z 0-9 _ . - (a username the service accepts)" (toString $admin.username)) -}}
{{- end -}}
{{- if and .root.Values.tests.enabled (not $admin.enabled) -}}
{{- fail "tests.enabled needs fastapi.bootstrapAdmin.enabled: the helm test writes a product as the administrator (or set tests.enabled=false)" -}}
{{- end -}}
{{- end -}}

{{/* The first administrator, for `migrate` only: the password never reaches the server. */}}
{{- define "meatyapis.fastapi.migrateEnv" -}}
{{- $admin := .root.Values.fastapi.bootstrapAdmin -}}
{{- if $admin.enabled -}}
- name: BOOTSTRAP_ADMIN_USERNAME
  value: {{ $admin.username | quote }}
- name: BOOTSTRAP_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "meatyapis.adminSecretName" . }}
      key: {{ $admin.existingSecretKey }}
{{- end -}}
{{- end -}}

{{- define "meatyapis.adminSecretName" -}}
{{- $admin := .root.Values.fastapi.bootstrapAdmin -}}
{{- default (printf "%s-admin" (include "meatyapis.component.fullname" (dict "root" .root "component" "fastapi"))) $admin.existingSecret -}}
{{- end -}}

{{/* The administrator's password is generated in the cluster unless an existing Secret is named. */}}
{{- define "meatyapis.adminGenerator.enabled" -}}
{{- $admin := .root.Values.fastapi.bootstrapAdmin -}}
{{- if and $admin.enabled (not $admin.existingSecret) -}}true{{- end -}}
{{- end -}}

{{- define "meatyapis.adminGenerator" -}}
{{- $ctx := dict "root" .root "component" "fastapi" "job" "admin-generator" -}}
{{- $v := .root.Values.fastapi -}}
{{- toYaml (dict
      "name" (printf "%s-admin-generator" (include "meatyapis.component.fullname" $ctx))
      "labels" (include "meatyapis.component.labels" $ctx | fromYaml)
      "secretName" (include "meatyapis.adminSecretName" .)
      "randomKeys" $v.bootstrapAdmin.existingSecretKey
      "literals" (dict "username" (toString $v.bootstrapAdmin.username))
      "secretComponent" "admin-secret"
      "image" (default (include "meatyapis.component.image" $ctx) $v.tokenSecret.generator.image)
      "pullPolicy" $v.image.pullPolicy
      "activeDeadlineSeconds" $v.tokenSecret.generator.activeDeadlineSeconds
      "podSecurityContext" $v.podSecurityContext
      "containerSecurityContext" $v.containerSecurityContext) -}}
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
