{{/* The identity service's own parts of the component templates (see _helpers.tpl), its
     signing key Secret and its first administrator's Secret. */}}

{{- define "meatyapis.fastapi.about" -}}
title: Identity (FastAPI)
database: identity
localPort: 8002
{{- end -}}

{{- define "meatyapis.fastapi.validate" -}}
{{- $v := .root.Values.fastapi -}}
{{- if gt (int $v.tokenTtlSeconds) (int $v.tokenMaxLifetimeSeconds) -}}
{{- fail (printf "fastapi.tokenTtlSeconds=%d exceeds fastapi.tokenMaxLifetimeSeconds=%d: the service would refuse its own tokens" (int $v.tokenTtlSeconds) (int $v.tokenMaxLifetimeSeconds)) -}}
{{- end -}}
{{- include "meatyapis.fastapi.validateHashingMemory" . -}}
{{- $admin := .root.Values.fastapi.bootstrapAdmin -}}
{{- if and $admin.enabled (not (regexMatch "^[a-zA-Z0-9_.-]{3,32}$" (toString $admin.username))) -}}
{{- fail (printf "fastapi.bootstrapAdmin.username=%q must be 3-32 of a-z A-Z 0-9 _ . - (a username the service accepts)" (toString $admin.username)) -}}
{{- end -}}
{{- if and .root.Values.tests.enabled (not $admin.enabled) -}}
{{- fail "tests.enabled needs fastapi.bootstrapAdmin.enabled: the helm test writes a product as the administrator (or set tests.enabled=false)" -}}
{{- end -}}
{{- end -}}

{{/* argon2 takes memoryKib per hash, at most `concurrency` at once per worker: with a memory
     limit, the pod's resident memory at rest (measured: the gunicorn master about 64 MiB, each
     worker about 96 MiB) plus the hashes must fit in 90% of it, or a burst of logins gets the
     pod OOM-killed. */}}
{{- define "meatyapis.fastapi.validateHashingMemory" -}}
{{- $v := .root.Values.fastapi -}}
{{- $h := $v.passwordHashing -}}
{{- $limit := dig "limits" "memory" "" ($v.resources | default dict) | toString -}}
{{- if $limit -}}
{{- $limitMiB := include "meatyapis.mebibytes" (dict "value" $limit "name" "fastapi.resources.limits.memory") | float64 -}}
{{- $hashMiB := divf (int $h.memoryKib) 1024 -}}
{{- $needMiB := addf 64 (mulf (int $v.workers) (addf 96 (mulf (int $h.concurrency) $hashMiB))) -}}
{{- if gt $needMiB (mulf $limitMiB 0.9) -}}
{{- fail (printf "fastapi.workers=%d × (96Mi + fastapi.passwordHashing.concurrency=%d × fastapi.passwordHashing.memoryKib=%d KiB) + 64Mi = %.0fMi exceeds 90%% of fastapi.resources.limits.memory=%s: lower the concurrency, the workers or the hash memory, or raise the limit" (int $v.workers) (int $h.concurrency) (int $h.memoryKib) $needMiB $limit) -}}
{{- end -}}
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
{{- $v := .root.Values.fastapi -}}
TOKEN_TTL_SECONDS: {{ $v.tokenTtlSeconds | quote }}
TOKEN_MAX_LIFETIME_SECONDS: {{ $v.tokenMaxLifetimeSeconds | quote }}
DOCS_ENABLED: {{ $v.docs.enabled | quote }}
PASSWORD_HASH_TIME_COST: {{ $v.passwordHashing.timeCost | quote }}
PASSWORD_HASH_MEMORY_KIB: {{ $v.passwordHashing.memoryKib | quote }}
PASSWORD_HASH_CONCURRENCY: {{ $v.passwordHashing.concurrency | quote }}
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
