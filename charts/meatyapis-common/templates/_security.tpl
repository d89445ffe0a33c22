{{/* The restricted Pod Security profile. Values absent from the given maps take the profile's
     setting; with global.openshift the user and group IDs are left to the SCC. */}}

{{/* A pod's securityContext. Key: securityContext (optional): runAsNonRoot, runAsUser,
     runAsGroup, fsGroup, fsGroupChangePolicy, seccompProfileType. */}}
{{- define "meatyapis-common.podSecurityContext" -}}
{{- $s := .securityContext | default dict -}}
runAsNonRoot: {{ if hasKey $s "runAsNonRoot" }}{{ $s.runAsNonRoot }}{{ else }}true{{ end }}
{{- if not .root.Values.global.openshift }}
{{- with $s.runAsUser }}
runAsUser: {{ . }}
{{- end }}
{{- with $s.runAsGroup }}
runAsGroup: {{ . }}
{{- end }}
{{- with $s.fsGroup }}
fsGroup: {{ . }}
{{- end }}
{{- end }}
{{- with $s.fsGroupChangePolicy }}
fsGroupChangePolicy: {{ . }}
{{- end }}
seccompProfile:
  type: {{ $s.seccompProfileType | default "RuntimeDefault" }}
{{- end -}}

{{/* A container's securityContext. Keys: securityContext (optional): readOnlyRootFilesystem,
     allowPrivilegeEscalation, capabilitiesDrop; seccompProfileType (optional). */}}
{{- define "meatyapis-common.containerSecurityContext" -}}
{{- $s := .securityContext | default dict -}}
readOnlyRootFilesystem: {{ if hasKey $s "readOnlyRootFilesystem" }}{{ $s.readOnlyRootFilesystem }}{{ else }}true{{ end }}
allowPrivilegeEscalation: {{ if hasKey $s "allowPrivilegeEscalation" }}{{ $s.allowPrivilegeEscalation }}{{ else }}false{{ end }}
privileged: false
runAsNonRoot: true
capabilities:
  drop:
    {{- toYaml ($s.capabilitiesDrop | default (list "ALL")) | nindent 4 }}
seccompProfile:
  type: {{ .seccompProfileType | default "RuntimeDefault" }}
{{- end -}}

{{/* A service account token for one container only: pods set automountServiceAccountToken
     false, and the containers that call the Kubernetes API mount this projected volume. */}}
{{- define "meatyapis-common.tokenVolume" -}}
- name: kube-api-access
  projected:
    defaultMode: 0444
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3607
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                apiVersion: v1
                fieldPath: metadata.namespace
{{- end -}}

{{- define "meatyapis-common.tokenVolumeMount" -}}
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end -}}
