{{/*
One definition renders both components (flask and fastapi). Each template file under
templates/<component>/ calls one of these with (dict "root" $ "c" "<component>").
*/}}

{{/* ---------------------------------------------------------------- validation */}}
{{- define "meatyapis.component.validate" -}}
{{- $c := .c -}}
{{- $v := index .root.Values $c -}}
{{- $db := $v.database.type -}}
{{- if not (has $db (list "sqlite" "external")) -}}
{{- fail (printf "%s.database.type must be \"sqlite\" or \"external\", not %q" $c $db) -}}
{{- end -}}
{{- if eq $db "sqlite" -}}
{{- if gt (int $v.replicaCount) 1 -}}
{{- fail (printf "%s.replicaCount=%d needs %s.database.type=external: SQLite keeps its file on a ReadWriteOnce volume that only one pod can use" $c (int $v.replicaCount) $c) -}}
{{- end -}}
{{- if $v.autoscaling.enabled -}}
{{- fail (printf "%s.autoscaling.enabled needs %s.database.type=external: SQLite keeps its file on a ReadWriteOnce volume that only one pod can use" $c $c) -}}
{{- end -}}
{{- else if not (or $v.database.external.existingSecret $v.database.external.externalSecret.enabled) -}}
{{- fail (printf "%s.database.external.existingSecret is required when %s.database.type=external (a Secret holding DATABASE_URL), unless %s.database.external.externalSecret.enabled" $c $c $c) -}}
{{- end -}}
{{- $pause := ternary (int $v.preStop.seconds) 0 $v.preStop.enabled -}}
{{- if le (int $v.terminationGracePeriodSeconds) (add $pause (int $v.gracefulTimeout)) -}}
{{- fail (printf "%s.terminationGracePeriodSeconds=%d must exceed %s.preStop.seconds + %s.gracefulTimeout = %d, or the kubelet kills requests still draining" $c (int $v.terminationGracePeriodSeconds) $c $c (add $pause (int $v.gracefulTimeout))) -}}
{{- end -}}
{{- if not (has $v.preStop.action (list "sleep" "exec")) -}}
{{- fail (printf "%s.preStop.action must be \"sleep\" or \"exec\", not %q" $c $v.preStop.action) -}}
{{- end -}}
{{- if and $v.ingress.enabled $v.route.enabled -}}
{{- fail (printf "%s.ingress.enabled and %s.route.enabled: choose one way in" $c $c) -}}
{{- end -}}
{{- if and $v.pdb.create (ne (toString $v.pdb.minAvailable) "") (ne (toString $v.pdb.maxUnavailable) "") -}}
{{- fail (printf "%s.pdb.minAvailable and %s.pdb.maxUnavailable are both set: set one" $c $c) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (not (or $v.autoscaling.targetCPU $v.autoscaling.targetMemory)) -}}
{{- fail (printf "%s.autoscaling.enabled needs %s.autoscaling.targetCPU or targetMemory above 0" $c $c) -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- fail (printf "%s.autoscaling.minReplicas must not exceed %s.autoscaling.maxReplicas" $c $c) -}}
{{- end -}}
{{- if eq $c "flask" -}}
{{- range $key := list "identityConnectTimeoutSeconds" "identityReadTimeoutSeconds" "identityDeadlineSeconds" -}}
{{- if le (float64 (index $v $key)) 0.0 -}}
{{- fail (printf "flask.%s=%v must be above 0" $key (index $v $key)) -}}
{{- end -}}
{{- end -}}
{{- if lt (float64 $v.identityDeadlineSeconds) (float64 $v.identityConnectTimeoutSeconds) -}}
{{- fail (printf "flask.identityDeadlineSeconds=%v must be at least flask.identityConnectTimeoutSeconds=%v" $v.identityDeadlineSeconds $v.identityConnectTimeoutSeconds) -}}
{{- end -}}
{{- end -}}
{{- range $key, $_ := $v.extraConfig -}}
{{- if hasKey (include "meatyapis.component.config" (dict "root" $.root "c" $c "core" true) | fromYaml) $key -}}
{{- fail (printf "%s.extraConfig.%s is set by the chart: use the dedicated value instead" $c $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* ---------------------------------------------------------------- configuration */}}
{{/* The environment of a component as a YAML map: the ConfigMap's data and the migration
     Job's env (the Job runs before the ConfigMap exists). "core" leaves out extraConfig. */}}
{{- define "meatyapis.component.config" -}}
{{- $c := .c -}}
{{- $root := .root -}}
{{- $v := index $root.Values $c -}}
BIND_HOST: "0.0.0.0"
PORT: {{ $v.containerPort | quote }}
WEB_CONCURRENCY: {{ $v.workers | quote }}
LOG_LEVEL: {{ $v.logLevel | quote }}
FORWARDED_ALLOW_IPS: {{ $v.forwardedAllowIps | quote }}
PROMETHEUS_MULTIPROC_DIR: /tmp/prometheus-multiproc
WORKER_TMP_DIR: /dev/shm
GRACEFUL_TIMEOUT: {{ $v.gracefulTimeout | quote }}
KEEPALIVE: {{ $v.keepalive | quote }}
METRICS_ENABLED: {{ $root.Values.metrics.enabled | quote }}
{{- if eq $v.database.type "sqlite" }}
DATABASE_URL: {{ printf "sqlite:////data/%s.db" (ternary "catalog" "identity" (eq $c "flask")) | quote }}
{{- end }}
{{- if eq $c "flask" }}
IDENTITY_URL: {{ default (include "meatyapis.component.url" (dict "root" $root "c" "fastapi")) $v.identityUrl | quote }}
IDENTITY_CONNECT_TIMEOUT_SECONDS: {{ $v.identityConnectTimeoutSeconds | quote }}
IDENTITY_READ_TIMEOUT_SECONDS: {{ $v.identityReadTimeoutSeconds | quote }}
IDENTITY_DEADLINE_SECONDS: {{ $v.identityDeadlineSeconds | quote }}
CORS_ALLOWED_ORIGINS: {{ $v.corsAllowedOrigins | quote }}
{{- else }}
TOKEN_TTL_SECONDS: {{ $v.tokenTtlSeconds | quote }}
{{- end }}
{{- if not .core }}
{{- range $key, $value := $v.extraConfig }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment from Secrets: the external DATABASE_URL and fastapi's TOKEN_SECRET. */}}
{{- define "meatyapis.component.secretEnv" -}}
{{- $v := index .root.Values .c -}}
{{- if eq $v.database.type "external" }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "meatyapis.component.databaseSecretName" . }}
      key: {{ $v.database.external.existingSecretKey }}
{{- end }}
{{- if eq .c "fastapi" }}
- name: TOKEN_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "meatyapis.tokenSecretName" .root }}
      key: {{ $v.tokenSecret.existingSecretKey }}
{{- end }}
{{- end -}}

{{/* ---------------------------------------------------------------- pod building blocks */}}
{{- define "meatyapis.component.podSecurityContext" -}}
{{- $s := (index .root.Values .c).podSecurityContext -}}
runAsNonRoot: {{ $s.runAsNonRoot }}
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
fsGroupChangePolicy: {{ $s.fsGroupChangePolicy }}
seccompProfile:
  type: {{ $s.seccompProfileType }}
{{- end -}}

{{- define "meatyapis.component.containerSecurityContext" -}}
{{- $s := (index .root.Values .c).containerSecurityContext -}}
readOnlyRootFilesystem: {{ $s.readOnlyRootFilesystem }}
allowPrivilegeEscalation: {{ $s.allowPrivilegeEscalation }}
privileged: false
runAsNonRoot: true
capabilities:
  drop:
    {{- toYaml $s.capabilitiesDrop | nindent 4 }}
seccompProfile:
  type: {{ (index .root.Values .c).podSecurityContext.seccompProfileType }}
{{- end -}}

{{- define "meatyapis.component.imagePullSecrets" -}}
{{- with .root.Values.global.imagePullSecrets -}}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.resources" -}}
{{- toYaml (index .root.Values .c).resources -}}
{{- end -}}

{{/* Writable scratch space on a read-only root filesystem. */}}
{{- define "meatyapis.component.scratchVolumes" -}}
{{- $v := index .root.Values .c -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
- name: worker-tmp
  emptyDir:
    medium: Memory
    sizeLimit: {{ $v.tmpSizeLimit }}
- name: prometheus-multiproc
  emptyDir:
    sizeLimit: {{ $v.tmpSizeLimit }}
{{- end -}}

{{- define "meatyapis.component.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: worker-tmp
  mountPath: /dev/shm
- name: prometheus-multiproc
  mountPath: /tmp/prometheus-multiproc
{{- end -}}

{{- define "meatyapis.component.volumeMounts" -}}
{{- $v := index .root.Values .c -}}
{{ include "meatyapis.component.scratchMounts" . }}
{{- if eq $v.database.type "sqlite" }}
- name: data
  mountPath: /data
{{- end }}
{{- with $v.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.env" -}}
{{- $v := index .root.Values .c -}}
envFrom:
  - configMapRef:
      name: {{ include "meatyapis.component.fullname" . }}
  {{- with $v.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $secretEnv := include "meatyapis.component.secretEnv" . }}
{{- if or $secretEnv $v.extraEnv }}
env:
  {{- with $secretEnv }}
  {{- . | trim | nindent 2 }}
  {{- end }}
  {{- with $v.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.probe" -}}
{{- $p := index (index .root.Values .c) .probe -}}
{{- if $p.enabled -}}
{{ .probe }}:
  httpGet:
    path: {{ .path }}
    port: http
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.failureThreshold }}
{{- end }}
{{- end -}}

{{/* ---------------------------------------------------------------- objects */}}
{{- define "meatyapis.component.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list .root) }}
data:
  {{- include "meatyapis.component.config" . | nindent 2 }}
{{- end -}}

{{- define "meatyapis.component.deployment" -}}
{{- include "meatyapis.component.validate" . -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- $v := index $root.Values $c -}}
{{- $name := include "meatyapis.component.fullname" . -}}
{{- $sqlite := eq $v.database.type "sqlite" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list $root) }}
spec:
  {{- if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: {{ $v.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "meatyapis.component.selectorLabels" . | nindent 6 }}
  strategy:
    {{- if $sqlite }}
    # One pod owns the ReadWriteOnce SQLite volume: the old pod must let go of it before the new
    # one can mount it (a surge pod on another node would wait forever for the volume).
    type: Recreate
    {{- else }}
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: {{ $v.maxSurge }}
    {{- end }}
  template:
    metadata:
      labels:
        {{- include "meatyapis.component.labels" . | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "meatyapis.component.configmap" . | sha256sum }}
        {{- if $root.Values.metrics.enabled }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $v.containerPort | quote }}
        prometheus.io/path: {{ include "meatyapis.metrics.path" $root | quote }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "meatyapis.component.serviceAccountName" . }}
      automountServiceAccountToken: false
      {{- with include "meatyapis.component.imagePullSecrets" . }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "meatyapis.component.podSecurityContext" . | nindent 8 }}
      {{- if $sqlite }}
      initContainers:
        # Alembic migrations before the server starts: the single SQLite pod cannot race.
        - name: migrate
          image: {{ include "meatyapis.component.image" . }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: ["meatyapis-{{ $c }}", "migrate"]
          {{- include "meatyapis.component.env" . | nindent 10 }}
          securityContext:
            {{- include "meatyapis.component.containerSecurityContext" . | nindent 12 }}
          resources:
            {{- include "meatyapis.component.resources" . | nindent 12 }}
          volumeMounts:
            {{- include "meatyapis.component.volumeMounts" . | nindent 12 }}
      {{- end }}
      containers:
        - name: {{ $c }}
          image: {{ include "meatyapis.component.image" . }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: ["meatyapis-{{ $c }}", "serve"]
          ports:
            - name: http
              containerPort: {{ $v.containerPort }}
              protocol: TCP
          {{- include "meatyapis.component.env" . | nindent 10 }}
          {{- range $probe, $path := dict "startupProbe" "/healthz" "livenessProbe" "/healthz" "readinessProbe" "/readyz" }}
          {{- with include "meatyapis.component.probe" (dict "root" $root "c" $c "probe" $probe "path" $path) }}
          {{- . | nindent 10 }}
          {{- end }}
          {{- end }}
          {{- if $v.preStop.enabled }}
          lifecycle:
            preStop:
              {{- if eq $v.preStop.action "sleep" }}
              sleep:
                seconds: {{ $v.preStop.seconds }}
              {{- else }}
              exec:
                command: ["sleep", "{{ $v.preStop.seconds }}"]
              {{- end }}
          {{- end }}
          securityContext:
            {{- include "meatyapis.component.containerSecurityContext" . | nindent 12 }}
          resources:
            {{- include "meatyapis.component.resources" . | nindent 12 }}
          volumeMounts:
            {{- include "meatyapis.component.volumeMounts" . | nindent 12 }}
      volumes:
        {{- include "meatyapis.component.scratchVolumes" . | nindent 8 }}
        {{- if $sqlite }}
        - name: data
          persistentVolumeClaim:
            claimName: {{ include "meatyapis.component.pvcName" . }}
        {{- end }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.topologySpreadConstraints }}
      {{- $selector := dict "labelSelector" (dict "matchLabels" (include "meatyapis.component.selectorLabels" $ | fromYaml)) }}
      {{- $constraints := list }}
      {{- range . }}
      {{- $constraints = append $constraints (merge (dict) . $selector) }}
      {{- end }}
      topologySpreadConstraints:
        {{- toYaml $constraints | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{- define "meatyapis.component.service" -}}
{{- $v := index .root.Values .c -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list .root $v.service.annotations) }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "meatyapis.component.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{- define "meatyapis.component.serviceaccount" -}}
{{- $v := index .root.Values .c -}}
{{- if $v.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "meatyapis.component.serviceAccountName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list .root $v.serviceAccount.annotations) }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{- define "meatyapis.component.pvc" -}}
{{- $v := index .root.Values .c -}}
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
  {{- include "meatyapis.annotations" (list .root (merge (dict "helm.sh/resource-policy" "keep" "argocd.argoproj.io/sync-options" "Delete=false") $v.database.sqlite.annotations)) }}
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

{{- define "meatyapis.component.migrationJob" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- $v := index $root.Values $c -}}
{{- if eq $v.database.type "external" }}
{{- $job := dict "root" $root "c" $c "job" "migrate" }}
# Runs once per install/upgrade before the new pods start (Argo CD: PreSync), so the
# servers never race on DDL.
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "meatyapis.component.fullname" . }}-migrate
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.jobLabels" $job | nindent 4 }}
  {{- include "meatyapis.annotations" (list $root (dict "helm.sh/hook" "pre-install,pre-upgrade" "helm.sh/hook-weight" "0" "helm.sh/hook-delete-policy" "before-hook-creation,hook-succeeded")) }}
spec:
  backoffLimit: {{ $v.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ $v.migrations.activeDeadlineSeconds }}
  ttlSecondsAfterFinished: {{ $v.migrations.ttlSecondsAfterFinished }}
  template:
    metadata:
      labels:
        {{- include "meatyapis.component.jobLabels" $job | nindent 8 }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      {{- with include "meatyapis.component.imagePullSecrets" . }}
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

{{- define "meatyapis.component.hpa" -}}
{{- $v := index .root.Values .c -}}
{{- if $v.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list .root) }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "meatyapis.component.fullname" . }}
  minReplicas: {{ $v.autoscaling.minReplicas }}
  maxReplicas: {{ $v.autoscaling.maxReplicas }}
  metrics:
    {{- range $resource, $target := dict "cpu" $v.autoscaling.targetCPU "memory" $v.autoscaling.targetMemory }}
    {{- if $target }}
    - type: Resource
      resource:
        name: {{ $resource }}
        target:
          type: Utilization
          averageUtilization: {{ $target }}
    {{- end }}
    {{- end }}
  {{- with $v.autoscaling.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.pdb" -}}
{{- $v := index .root.Values .c -}}
{{- if $v.pdb.create }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list .root) }}
spec:
  {{- if ne (toString $v.pdb.minAvailable) "" }}
  minAvailable: {{ $v.pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $v.pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "meatyapis.component.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.networkpolicy" -}}
{{- $root := .root -}}
{{- $v := index $root.Values .c -}}
{{- $np := $root.Values.networkPolicy -}}
{{- if $np.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list $root) }}
spec:
  podSelector:
    matchLabels:
      {{- include "meatyapis.component.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    {{- if $v.networkPolicy.allowExternal }}
    - ports:
        - port: http
          protocol: TCP
    {{- else }}
    # the release's own pods (the catalog calling identity, the helm test pod) and the
    # configured sources
    - ports:
        - port: http
          protocol: TCP
      from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ $root.Release.Name }}
              app.kubernetes.io/part-of: meatyapis
        {{- if or $v.ingress.enabled $v.route.enabled $v.httpRoute.enabled }}
        - namespaceSelector:
            {{- toYaml $np.ingressControllerNamespaceSelector | nindent 12 }}
        {{- end }}
        {{- with $v.networkPolicy.ingressFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- end }}
    {{- if $root.Values.metrics.enabled }}
    # Prometheus scrapes /metrics on the http port
    - ports:
        - port: http
          protocol: TCP
      from:
        - namespaceSelector:
            {{- toYaml $np.monitoringNamespaceSelector | nindent 12 }}
    {{- end }}
  egress:
    - ports:
        - port: {{ $np.dns.port }}
          protocol: UDP
        - port: {{ $np.dns.port }}
          protocol: TCP
      to:
        - namespaceSelector:
            {{- toYaml $np.dns.namespaceSelector | nindent 12 }}
          podSelector:
            {{- toYaml $np.dns.podSelector | nindent 12 }}
    {{- if and (eq .c "flask") (not $v.identityUrl) }}
    {{- $identity := dict "root" $root "c" "fastapi" }}
    # the identity service (token checks)
    - ports:
        - port: {{ $root.Values.fastapi.containerPort }}
          protocol: TCP
      to:
        - podSelector:
            matchLabels:
              {{- include "meatyapis.component.selectorLabels" $identity | nindent 14 }}
    {{- end }}
    {{- if eq $v.database.type "external" }}
    # the external database
    - ports:
        - port: {{ $v.database.external.port }}
          protocol: TCP
      {{- with $v.database.external.networkPolicyPeers }}
      to:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
    {{- with $v.networkPolicy.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end -}}

{{- define "meatyapis.component.ingress" -}}
{{- $v := index .root.Values .c -}}
{{- if $v.ingress.enabled }}
{{- $i := $v.ingress }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list .root $i.annotations) }}
spec:
  {{- with $i.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if $i.tls }}
  tls:
    - hosts:
        - {{ $i.hostname | quote }}
      secretName: {{ default (printf "%s-tls" $i.hostname) $i.tlsSecretName }}
  {{- end }}
  rules:
    - host: {{ $i.hostname | quote }}
      http:
        paths:
          - path: {{ $i.path }}
            pathType: {{ $i.pathType }}
            backend:
              service:
                name: {{ include "meatyapis.component.fullname" . }}
                port:
                  name: http
{{- end }}
{{- end -}}

{{- define "meatyapis.component.route" -}}
{{- $v := index .root.Values .c -}}
{{- if $v.route.enabled }}
{{- $r := $v.route }}
apiVersion: route.openshift.io/v1
kind: Route
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis.annotations" (list .root $r.annotations) }}
spec:
  {{- with $r.host }}
  host: {{ . | quote }}
  {{- end }}
  {{- with $r.path }}
  path: {{ . }}
  {{- end }}
  to:
    kind: Service
    name: {{ include "meatyapis.component.fullname" . }}
    weight: 100
  port:
    targetPort: http
  {{- with $r.tlsTermination }}
  tls:
    termination: {{ . }}
    insecureEdgeTerminationPolicy: {{ $r.insecureEdgeTerminationPolicy }}
  {{- end }}
  wildcardPolicy: None
{{- end }}
{{- end -}}

{{- define "meatyapis.component.servicemonitor" -}}
{{- $m := .root.Values.metrics -}}
{{- if and $m.enabled $m.serviceMonitor.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ default .root.Release.Namespace $m.serviceMonitor.namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
    {{- with $m.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- include "meatyapis.annotations" (list .root) }}
spec:
  namespaceSelector:
    matchNames:
      - {{ .root.Release.Namespace }}
  selector:
    matchLabels:
      {{- include "meatyapis.component.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: http
      path: {{ include "meatyapis.metrics.path" .root }}
      {{- with $m.serviceMonitor.interval }}
      interval: {{ . }}
      {{- end }}
      {{- with $m.serviceMonitor.scrapeTimeout }}
      scrapeTimeout: {{ . }}
      {{- end }}
      # the target labels annotation-based discovery gives (charts/monitoring), which dashboards
      # and rules group by: `service` is the pod's app.kubernetes.io/name, not the Service name
      # (which carries the release name)
      relabelings:
        - sourceLabels: [__meta_kubernetes_namespace]
          targetLabel: namespace
          action: replace
        - sourceLabels: [__meta_kubernetes_pod_name]
          targetLabel: pod
          action: replace
        - sourceLabels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]
          targetLabel: service
          action: replace
{{- end }}
{{- end -}}
