{{- define "meatyapis.component.pvc" -}}
{{- $v := index .root.Values .component -}}
{{- if and (eq $v.database.type "sqlite") (not $v.database.sqlite.existingClaim) }}
{{- $sc := default $v.database.sqlite.storageClass .root.Values.global.storageClass }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include "meatyapis.component.pvcName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- /* uninstalling the release (Helm) or deleting the application (Argo CD, which ignores
         Helm's resource policy) must not delete the database */}}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" (merge (dict "helm.sh/resource-policy" "keep" "argocd.argoproj.io/sync-options" "Delete=false") $v.database.sqlite.annotations)) }}
spec:
  accessModes:
    {{- toYaml $v.database.sqlite.accessModes | nindent 4 }}
  {{- with $sc }}
  storageClassName: {{ . }}
  {{- end }}
  resources:
    requests:
      storage: {{ $v.database.sqlite.size }}
{{- end }}
{{- end -}}
