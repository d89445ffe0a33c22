{{- define "meatyapis.component.deployment" -}}
{{- include "meatyapis.component.validate" . -}}
{{- $root := .root -}}
{{- $c := .component -}}
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
  {{- include "meatyapis-common.annotations" (dict "root" $root) }}
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
        prometheus.io/port: {{ $v.metricsPort | quote }}
        prometheus.io/path: {{ include "meatyapis.metrics.path" . | quote }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "meatyapis.component.serviceAccountName" . }}
      automountServiceAccountToken: false
      {{- with include "meatyapis-common.imagePullSecrets" . }}
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
          {{- include "meatyapis.component.env" (dict "root" $root "component" $c "migrate" true) | nindent 10 }}
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
            # /metrics only, served by gunicorn's master; the NetworkPolicy lets Prometheus in here
            - name: metrics
              containerPort: {{ $v.metricsPort }}
              protocol: TCP
          {{- include "meatyapis.component.env" . | nindent 10 }}
          {{- range $probe, $path := dict "startupProbe" "/healthz" "livenessProbe" "/healthz" "readinessProbe" "/readyz" }}
          {{- with include "meatyapis.component.probe" (dict "root" $root "component" $c "probe" $probe "path" $path) }}
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
