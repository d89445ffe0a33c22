{{/* Names */}}
{{- define "monitoring.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "monitoring.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-<component>", e.g. monitoring-prometheus. Argument: (list . "prometheus") */}}
{{- define "monitoring.component.fullname" -}}
{{- $root := index . 0 }}
{{- $component := index . 1 }}
{{- /* the component part is never cut: the release part makes room for it */}}
{{- $prefix := include "monitoring.fullname" $root | trunc (int (sub 62 (len $component))) | trimSuffix "-" }}
{{- printf "%s-%s" $prefix $component }}
{{- end }}

{{/* Labels. Argument: (list . "prometheus") */}}
{{- define "monitoring.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "monitoring.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "monitoring.labels" -}}
{{- $root := index . 0 -}}
{{ include "monitoring.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: meatyapis
{{- with $root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* metadata.annotations: commonAnnotations merged with extra ones. Argument: (list . dict) */}}
{{- define "monitoring.annotations" -}}
{{- $root := index . 0 }}
{{- $extra := dict }}
{{- if gt (len .) 1 }}{{ $extra = index . 1 | default dict }}{{ end }}
{{- $all := merge (deepCopy $extra) $root.Values.commonAnnotations }}
{{- with $all }}
  annotations:
    {{- toYaml . | nindent 4 }}
{{- end }}
{{- end }}

{{/* image reference. Argument: (list . .Values.x.image) */}}
{{- define "monitoring.image" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $registry := default $image.registry $root.Values.global.imageRegistry }}
{{- if $image.digest }}
{{- printf "%s/%s@%s" $registry $image.repository $image.digest }}
{{- else }}
{{- printf "%s/%s:%s" $registry $image.repository $image.tag }}
{{- end }}
{{- end }}

{{- define "monitoring.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The namespaces watched for pods and dashboards: the release namespace first, then the
     listed ones, without duplicates. */}}
{{- define "monitoring.watchNamespaces" -}}
{{- $all := list .Release.Namespace }}
{{- range .Values.watchNamespaces }}
{{- if not (has . $all) }}{{ $all = append $all . }}{{ end }}
{{- end }}
{{- toJson $all }}
{{- end }}

{{/* Restricted security contexts */}}
{{- define "monitoring.podSecurityContext" -}}
runAsNonRoot: true
{{- if not .Values.global.openshift }}
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "monitoring.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* A service account token for one container only: the pods set
     automountServiceAccountToken false and mount this projected volume where the Kubernetes
     API is needed (Prometheus discovery, the dashboard sidecar). */}}
{{- define "monitoring.tokenVolume" -}}
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
{{- end }}

{{- define "monitoring.tokenVolumeMount" -}}
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end }}

{{/* Service URLs inside the cluster */}}
{{- define "monitoring.prometheus.url" -}}
{{- printf "http://%s.%s.svc.%s:%v" (include "monitoring.component.fullname" (list . "prometheus")) .Release.Namespace .Values.global.clusterDomain .Values.prometheus.service.port }}
{{- end }}

{{- define "monitoring.grafana.url" -}}
{{- printf "http://%s.%s.svc.%s:%v" (include "monitoring.component.fullname" (list . "grafana")) .Release.Namespace .Values.global.clusterDomain .Values.grafana.service.port }}
{{- end }}

{{- define "monitoring.alertmanager.address" -}}
{{- printf "%s.%s.svc.%s:%v" (include "monitoring.component.fullname" (list . "alertmanager")) .Release.Namespace .Values.global.clusterDomain .Values.alertmanager.service.port }}
{{- end }}

{{- define "monitoring.grafana.adminSecretName" -}}
{{- default (include "monitoring.component.fullname" (list . "grafana-admin")) .Values.grafana.admin.existingSecret }}
{{- end }}

{{/* Value checks: a bad value fails the render with a message naming it. */}}
{{- define "monitoring.validate" -}}
{{- if and .Values.grafana.ingress.enabled .Values.grafana.route.enabled }}
{{- fail "grafana.ingress.enabled and grafana.route.enabled: choose one way to expose Grafana" }}
{{- end }}
{{- if and (include "monitoring.adminSecretGenerator.enabled" .) (not .Values.grafana.admin.user) }}
{{- fail "grafana.admin.user: must not be empty when the admin Secret is generated" }}
{{- end }}
{{- if not .Values.alertmanager.receiver.name }}
{{- fail "alertmanager.receiver.name: every receiver needs a name" }}
{{- end }}
{{- if and .Values.clusterWide .Values.watchNamespaces }}
{{- fail "watchNamespaces: leave empty with clusterWide=true (every namespace is watched)" }}
{{- end }}
{{- range .Values.prometheus.extraRuleGroups }}
{{- if not (and (kindIs "map" .) .name .rules) }}
{{- fail "prometheus.extraRuleGroups: every group needs a name and rules" }}
{{- end }}
{{- end }}
{{- range .Values.prometheus.extraScrapeConfigs }}
{{- if not (and (kindIs "map" .) .job_name) }}
{{- fail "prometheus.extraScrapeConfigs: every scrape config needs a job_name" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The admin Secret generator hook (argument: its weight). */}}
{{- define "monitoring.adminSecretGenerator.enabled" -}}
{{- $admin := .Values.grafana.admin }}
{{- if and .Values.grafana.enabled (not (or $admin.existingSecret $admin.externalSecret.enabled)) }}true{{ end }}
{{- end }}

{{- define "monitoring.adminSecretGenerator.hook" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ . | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}
