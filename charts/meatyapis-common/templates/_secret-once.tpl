{{/*
A pre-install/pre-upgrade hook that creates a Secret once, in the cluster, if it is absent:
nothing random or looked up at render time, so renders (GitOps) never change it, and the Secret
is no Helm object, so upgrades, syncs, rollbacks and uninstall keep it. Four objects of one name:
a ServiceAccount, a Role that may get that Secret and create Secrets, their RoleBinding, and the
Job running files/scripts/create-secret-once.py (python3 only).

Each takes the same dict:
  root                      the parent chart's root context
  name                      name of the four objects
  labels                    their labels (a map)
  secretName                the Secret
  randomKeys                comma-separated keys that get a random value
  literals                  keys with given values (a map, optional)
  secretComponent           the Secret's app.kubernetes.io/component label
  image, pullPolicy         image of the Job (needs python3)
  activeDeadlineSeconds     the Job's deadline
  podSecurityContext        values for meatyapis-common.podSecurityContext (optional)
  containerSecurityContext  values for meatyapis-common.containerSecurityContext (optional)
*/}}

{{/* The hook annotations at the given weight: the RBAC objects come before the Job. */}}
{{- define "meatyapis-common.secretOnce.annotations" -}}
{{- $hook := dict "helm.sh/hook" "pre-install,pre-upgrade" "helm.sh/hook-weight" .weight "helm.sh/hook-delete-policy" "before-hook-creation,hook-succeeded" -}}
{{- include "meatyapis-common.annotations" (dict "root" .root "annotations" $hook) -}}
{{- end -}}

{{- define "meatyapis-common.secretOnce.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- toYaml .labels | nindent 4 }}
  {{- include "meatyapis-common.secretOnce.annotations" (dict "root" .root "weight" "-10") }}
automountServiceAccountToken: false
{{- end -}}

{{- define "meatyapis-common.secretOnce.role" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- toYaml .labels | nindent 4 }}
  {{- include "meatyapis-common.secretOnce.annotations" (dict "root" .root "weight" "-10") }}
rules:
  # read that one Secret
  - apiGroups: [""]
    resources: ["secrets"]
    resourceNames: [{{ .secretName | quote }}]
    verbs: ["get"]
  # create cannot be limited by resourceNames (the object has no name before it exists); the
  # Job only ever creates the name above
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["create"]
{{- end -}}

{{- define "meatyapis-common.secretOnce.roleBinding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- toYaml .labels | nindent 4 }}
  {{- include "meatyapis-common.secretOnce.annotations" (dict "root" .root "weight" "-10") }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ .name }}
subjects:
  - kind: ServiceAccount
    name: {{ .name }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}

{{- define "meatyapis-common.secretOnce.job" -}}
{{- $root := .root -}}
{{- $pod := .podSecurityContext | default dict -}}
{{- /* not Helm's labels: the Secret is not a release object */}}
{{- $secretLabels := dict "app.kubernetes.io/name" (index .labels "app.kubernetes.io/name") "app.kubernetes.io/instance" $root.Release.Name "app.kubernetes.io/part-of" "meatyapis" "app.kubernetes.io/component" .secretComponent -}}
# Creates the Secret {{ .secretName }} once, in the cluster, if it is absent; never changes it.
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- toYaml .labels | nindent 4 }}
  {{- include "meatyapis-common.secretOnce.annotations" (dict "root" $root "weight" "-5") }}
spec:
  backoffLimit: 3
  activeDeadlineSeconds: {{ .activeDeadlineSeconds }}
  ttlSecondsAfterFinished: 600
  template:
    metadata:
      labels:
        {{- toYaml .labels | nindent 8 }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ .name }}
      # the pod talks to the Kubernetes API: its token is projected explicitly below
      automountServiceAccountToken: false
      {{- with include "meatyapis-common.imagePullSecrets" . }}
      {{- . | nindent 6 }}
      {{- end }}
      securityContext:
        {{- include "meatyapis-common.podSecurityContext" (dict "root" $root "securityContext" $pod) | nindent 8 }}
      containers:
        - name: generate
          image: {{ .image }}
          imagePullPolicy: {{ .pullPolicy }}
          command: ["python3", "-c", {{ (index $root.Subcharts "meatyapis-common").Files.Get "files/scripts/create-secret-once.py" | quote }}]
          env:
            - name: SECRET_NAME
              value: {{ .secretName | quote }}
            - name: SECRET_RANDOM_KEYS
              value: {{ .randomKeys | quote }}
            {{- with .literals }}
            - name: SECRET_LITERALS
              value: {{ toJson . | quote }}
            {{- end }}
            - name: SECRET_LABELS
              value: {{ toJson $secretLabels | quote }}
          securityContext:
            {{- include "meatyapis-common.containerSecurityContext" (dict "root" $root "securityContext" .containerSecurityContext "seccompProfileType" $pod.seccompProfileType) | nindent 12 }}
          resources:
            requests:
              cpu: 10m
              memory: 32Mi
              ephemeral-storage: 1Mi
            limits:
              cpu: 200m
              memory: 128Mi
              ephemeral-storage: 16Mi
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- include "meatyapis-common.tokenVolumeMount" . | nindent 12 }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 16Mi
        {{- include "meatyapis-common.tokenVolume" . | nindent 8 }}
{{- end -}}
