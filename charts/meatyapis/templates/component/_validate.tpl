{{/* Value checks of a component: a bad value fails the render with a message naming it. Its
     own checks are "meatyapis.<component>.validate". */}}
{{- define "meatyapis.component.validate" -}}
{{- $c := .component -}}
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
{{- if eq (int $v.metricsPort) (int $v.containerPort) -}}
{{- fail (printf "%s.metricsPort=%d must differ from %s.containerPort: /metrics has a port of its own, which only Prometheus may reach" $c (int $v.metricsPort) $c) -}}
{{- end -}}
{{- $pause := ternary (int $v.preStop.seconds) 0 $v.preStop.enabled -}}
{{- if le (int $v.terminationGracePeriodSeconds) (add $pause (int $v.gracefulTimeout)) -}}
{{- fail (printf "%s.terminationGracePeriodSeconds=%d must exceed %s.preStop.seconds + %s.gracefulTimeout = %d, or the kubelet kills requests still draining" $c (int $v.terminationGracePeriodSeconds) $c $c (add $pause (int $v.gracefulTimeout))) -}}
{{- end -}}
{{- if not (has $v.preStop.action (list "sleep" "exec")) -}}
{{- fail (printf "%s.preStop.action must be \"sleep\" or \"exec\", not %q" $c $v.preStop.action) -}}
{{- end -}}
{{- range $proxy := splitList "," (toString $v.forwardedAllowIps) -}}
{{- $proxy = trim $proxy -}}
{{- if eq $proxy "*" -}}
{{- fail (printf "%s.forwardedAllowIps must not be \"*\": every caller could then choose the client address the service believes; list the proxies' addresses or CIDR ranges, e.g. the ingress controller pods' range" $c) -}}
{{- end -}}
{{- if and $proxy (not (regexMatch "^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)(/[0-9]{1,3})?$" $proxy)) -}}
{{- fail (printf "%s.forwardedAllowIps: %q is not an IP address or CIDR range" $c $proxy) -}}
{{- end -}}
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
{{- include (printf "meatyapis.%s.validate" $c) . -}}
{{- range $key, $_ := $v.extraConfig -}}
{{- if hasKey (include "meatyapis.component.config" (dict "root" $.root "component" $c "core" true) | fromYaml) $key -}}
{{- fail (printf "%s.extraConfig.%s is set by the chart: use the dedicated value instead" $c $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
