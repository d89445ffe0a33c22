{{/* The catalog's own parts of the component templates (see _helpers.tpl). */}}

{{- define "meatyapis.flask.about" -}}
title: Catalog (Flask)
database: catalog
localPort: 8001
{{- end -}}

{{- define "meatyapis.flask.validate" -}}
{{- $v := .root.Values.flask -}}
{{- range $key := list "identityConnectTimeoutSeconds" "identityReadTimeoutSeconds" "identityDeadlineSeconds" -}}
{{- if le (float64 (index $v $key)) 0.0 -}}
{{- fail (printf "flask.%s=%v must be above 0" $key (index $v $key)) -}}
{{- end -}}
{{- end -}}
{{- if lt (float64 $v.identityDeadlineSeconds) (float64 $v.identityConnectTimeoutSeconds) -}}
{{- fail (printf "flask.identityDeadlineSeconds=%v must be at least flask.identityConnectTimeoutSeconds=%v" $v.identityDeadlineSeconds $v.identityConnectTimeoutSeconds) -}}
{{- end -}}
{{- end -}}

{{/* The identity service it calls, and the calls' time limits. */}}
{{- define "meatyapis.flask.config" -}}
{{- $v := .root.Values.flask -}}
IDENTITY_URL: {{ default (include "meatyapis.component.url" (dict "root" .root "component" "fastapi")) $v.identityUrl | quote }}
IDENTITY_CONNECT_TIMEOUT_SECONDS: {{ $v.identityConnectTimeoutSeconds | quote }}
IDENTITY_READ_TIMEOUT_SECONDS: {{ $v.identityReadTimeoutSeconds | quote }}
IDENTITY_DEADLINE_SECONDS: {{ $v.identityDeadlineSeconds | quote }}
CORS_ALLOWED_ORIGINS: {{ $v.corsAllowedOrigins | quote }}
CHECKIN_NAMES_PER_CLIENT: {{ $v.checkinNamesPerClient | quote }}
{{- end -}}

{{- define "meatyapis.flask.migrateEnv" -}}
{{- end -}}

{{- define "meatyapis.flask.secretEnv" -}}
{{- end -}}

{{/* Egress to the identity service of the release, unless flask.identityUrl points elsewhere. */}}
{{- define "meatyapis.flask.egress" -}}
{{- if not .root.Values.flask.identityUrl -}}
# the identity service (token checks)
- ports:
    - port: {{ .root.Values.fastapi.containerPort }}
      protocol: TCP
  to:
    - podSelector:
        matchLabels:
          {{- include "meatyapis.component.selectorLabels" (dict "root" .root "component" "fastapi") | nindent 10 }}
{{- end -}}
{{- end -}}
