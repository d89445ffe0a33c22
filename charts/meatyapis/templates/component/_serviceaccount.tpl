{{- define "meatyapis.component.serviceaccount" -}}
{{- $v := index .root.Values .component -}}
{{- if $v.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "meatyapis.component.serviceAccountName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $v.serviceAccount.annotations) }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}
