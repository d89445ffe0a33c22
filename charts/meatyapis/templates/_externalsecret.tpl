{{/*
ExternalSecrets (External Secrets Operator) for the Secrets the chart reads: each component's
database URL and the signing key. Each is a pre-install/pre-upgrade hook ahead of every hook Job
(Argo CD: a PreSync hook, which it waits on until the operator reports it Ready), because the
migration Jobs read those Secrets before any release object exists. The Secret is written with
creationPolicy Orphan: re-creating the hook on the next upgrade or sync never deletes it.
*/}}

{{/* The Secret a component's external database URL comes from. */}}
{{- define "meatyapis.component.databaseSecretName" -}}
{{- $external := (index .root.Values .c).database.external -}}
{{- default (printf "%s-db" (include "meatyapis.component.fullname" .)) $external.existingSecret -}}
{{- end -}}

{{/* A bad externalSecret block fails the render naming the value. Argument: (list "<values path>" $block) */}}
{{- define "meatyapis.externalSecret.validate" -}}
{{- $path := index . 0 -}}
{{- $es := index . 1 -}}
{{- if not (has $es.secretStoreRef.kind (list "SecretStore" "ClusterSecretStore")) -}}
{{- fail (printf "%s.secretStoreRef.kind must be \"SecretStore\" or \"ClusterSecretStore\", not %q" $path $es.secretStoreRef.kind) -}}
{{- end -}}
{{- if not $es.secretStoreRef.name -}}
{{- fail (printf "%s.secretStoreRef.name is required with %s.enabled (the store the secret is read from)" $path $path) -}}
{{- end -}}
{{- if not $es.remoteRef.key -}}
{{- fail (printf "%s.remoteRef.key is required with %s.enabled (the secret's key in the store)" $path $path) -}}
{{- end -}}
{{- end -}}

{{/* One ExternalSecret. Argument: dict "ctx" (component context with "job") "path" "name" "key" "es" */}}
{{- define "meatyapis.externalSecret" -}}
{{- $root := .ctx.root -}}
{{- include "meatyapis.externalSecret.validate" (list .path .es) -}}
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.jobLabels" .ctx | nindent 4 }}
  {{- include "meatyapis.annotations" (list $root (dict "helm.sh/hook" "pre-install,pre-upgrade" "helm.sh/hook-weight" "-20" "helm.sh/hook-delete-policy" "before-hook-creation")) }}
spec:
  refreshInterval: {{ .es.refreshInterval }}
  secretStoreRef:
    kind: {{ .es.secretStoreRef.kind }}
    name: {{ .es.secretStoreRef.name }}
  target:
    name: {{ .name }}
    creationPolicy: Orphan
    deletionPolicy: Retain
  data:
    - secretKey: {{ .key }}
      remoteRef:
        key: {{ .es.remoteRef.key }}
        {{- with .es.remoteRef.property }}
        property: {{ . }}
        {{- end }}
{{- end -}}
