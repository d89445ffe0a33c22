{{- define "meatyapis.component.migrationJob" -}}
{{- $root := .root -}}
{{- $c := .component -}}
{{- $v := index $root.Values $c -}}
{{- if eq $v.database.type "external" }}
{{- $job := dict "root" $root "component" $c "job" "migrate" }}
# Runs once per install/upgrade before the new pods start (Argo CD: PreSync), so the
# servers never race on DDL.
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "meatyapis.component.fullname" . }}-migrate
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" $job | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" $root "annotations" (dict "helm.sh/hook" "pre-install,pre-upgrade" "helm.sh/hook-weight" "0" "helm.sh/hook-delete-policy" "before-hook-creation,hook-succeeded")) }}
spec:
  backoffLimit: {{ $v.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ $v.migrations.activeDeadlineSeconds }}
  ttlSecondsAfterFinished: {{ $v.migrations.ttlSecondsAfterFinished }}
  template:
    metadata:
      labels:
        {{- include "meatyapis.component.labels" $job | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      {{- with include "meatyapis-common.imagePullSecrets" . }}
      {{- . | nindent 6 }}
      {{- end }}
      securityContext:
        {{- include "meatyapis.component.podSecurityContext" . | nindent 8 }}
      containers:
        - name: migrate
          image: {{ include "meatyapis.component.image" . }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: ["meatyapis-{{ $c }}", "migrate"]
          env:
            {{- range $key, $value := include "meatyapis.component.config" . | fromYaml }}
            - name: {{ $key }}
              value: {{ $value | toString | quote }}
            {{- end }}
            {{- with include "meatyapis.component.secretEnv" . }}
            {{- . | trim | nindent 12 }}
            {{- end }}
            {{- with include "meatyapis.component.migrateEnv" . }}
            {{- . | trim | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with $v.extraEnvFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- include "meatyapis.component.containerSecurityContext" . | nindent 12 }}
          resources:
            {{- include "meatyapis.component.resources" . | nindent 12 }}
          volumeMounts:
            {{- include "meatyapis.component.scratchMounts" . | nindent 12 }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "meatyapis.component.scratchVolumes" . | nindent 8 }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}
{{- end -}}
