{{/*
ExternalSecrets (External Secrets Operator) for the Secrets the chart reads: each component's
database URL and the signing key. Each is a pre-install/pre-upgrade hook ahead of every hook Job
(Argo CD: a PreSync hook, which it waits on until the operator reports it Ready), because the
migration Jobs read those Secrets before any release object exists. The Secret is written with
creationPolicy Orphan: re-creating the hook on the next upgrade or sync never deletes it.
*/}}

{{/* The Secret a component's external database URL comes from. */}}
{{- define "meatyapis.component.databaseSecretName" -}}
{{- $external := (index .root.Values .component).database.external -}}
{{- default (printf "%s-db" (include "meatyapis.component.fullname" .)) $external.existingSecret -}}
{{- end -}}

{{/* A bad externalSecret block fails the render naming the value. Keys: path (of the values),
     es (the block). */}}
{{- define "meatyapis.externalSecret.validate" -}}
{{- $path := .path -}}
{{- $es := .es -}}
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

{{/* One ExternalSecret. Keys: ctx (a component context with "job"), path (of its values), name
     (of the Secret), key (of the value in it), es (the externalSecret values). */}}
{{- define "meatyapis.externalSecret" -}}
{{- $root := .ctx.root -}}
{{- include "meatyapis.externalSecret.validate" (dict "root" $root "path" .path "es" .es) -}}
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" .ctx | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" $root "annotations" (dict "helm.sh/hook" "pre-install,pre-upgrade" "helm.sh/hook-weight" "-20" "helm.sh/hook-delete-policy" "before-hook-creation")) }}
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
