{{/*
The chart's helpers on top of the meatyapis-common library. Like the library's, every helper
takes a dict holding the root context under "root"; the component helpers also take the
component: (dict "root" $ "component" "flask").

templates/component/ renders any component, one file per object kind, and names none: what
differs between the components, each defines in templates/<component>/_<component>.tpl as
"meatyapis.<component>.<part>", taking the same dict:
  about      title, database (the SQLite file's name), localPort (for kubectl port-forward)
  validate   its own value checks
  config     its own environment variables (ConfigMap data)
  secretEnv  its own environment variables from Secrets
  egress     its own NetworkPolicy egress rules
  migrateEnv its own environment variables of `migrate` only (not the server's)
*/}}

{{/* Room is left for the longest suffix, "-fastapi-token-generator" (24 characters). */}}
{{- define "meatyapis.component.fullname" -}}
{{- include "meatyapis-common.componentFullname" (dict "root" .root "component" .component "room" 24) -}}
{{- end -}}

{{- define "meatyapis.component.selectorLabels" -}}
{{- include "meatyapis-common.selectorLabels" (dict "root" .root "name" (printf "meatyapis-%s" .component) "component" "server") -}}
{{- end -}}

{{/* Labels of a component's objects; "job" names a helper workload of it instead of the server
     (migration Job, key generator, test pod). */}}
{{- define "meatyapis.component.labels" -}}
{{- include "meatyapis-common.labels" (dict "root" .root "name" (printf "meatyapis-%s" .component) "component" (.job | default "server")) -}}
{{- end -}}

{{- define "meatyapis.component.serviceAccountName" -}}
{{- $v := index .root.Values .component -}}
{{- if $v.serviceAccount.create -}}
{{- default (include "meatyapis.component.fullname" .) $v.serviceAccount.name -}}
{{- else -}}
{{- default "default" $v.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "meatyapis.component.image" -}}
{{- include "meatyapis-common.image" (dict "root" .root "image" (index .root.Values .component).image) -}}
{{- end -}}

{{- define "meatyapis.component.podSecurityContext" -}}
{{- include "meatyapis-common.podSecurityContext" (dict "root" .root "securityContext" (index .root.Values .component).podSecurityContext) -}}
{{- end -}}

{{- define "meatyapis.component.containerSecurityContext" -}}
{{- $v := index .root.Values .component -}}
{{- include "meatyapis-common.containerSecurityContext" (dict "root" .root "securityContext" $v.containerSecurityContext "seccompProfileType" $v.podSecurityContext.seccompProfileType) -}}
{{- end -}}

{{- define "meatyapis.component.serviceHost" -}}
{{- printf "%s.%s.svc.%s" (include "meatyapis.component.fullname" .) .root.Release.Namespace .root.Values.global.clusterDomain -}}
{{- end -}}

{{- define "meatyapis.component.url" -}}
{{- $v := index .root.Values .component -}}
{{- printf "http://%s:%d" (include "meatyapis.component.serviceHost" .) (int $v.service.port) -}}
{{- end -}}

{{- define "meatyapis.component.pvcName" -}}
{{- $v := index .root.Values .component -}}
{{- default (printf "%s-data" (include "meatyapis.component.fullname" .)) $v.database.sqlite.existingClaim -}}
{{- end -}}

{{/* The metrics endpoint: the services serve it at this fixed path on their `metrics` port
     (METRICS_PORT), never on the `http` one. */}}
{{- define "meatyapis.metrics.path" -}}/metrics{{- end -}}

{{/* A Kubernetes memory quantity (512Mi, 1Gi, 500M, bytes) in MiB, printed as a number; a
     value it cannot read fails the render naming it. Keys: value, name (the value's path). */}}
{{- define "meatyapis.mebibytes" -}}
{{- $value := .value -}}
{{- if or (kindIs "float64" $value) (kindIs "int" $value) (kindIs "int64" $value) -}}
{{- divf $value 1048576 -}}
{{- else -}}
{{- $text := toString $value -}}
{{- if not (regexMatch "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$" $text) -}}
{{- fail (printf "%s=%q is not a memory quantity such as 512Mi or 1Gi" .name $text) -}}
{{- end -}}
{{- $number := regexReplaceAll "[A-Za-z]+$" $text "" | float64 -}}
{{- $unit := regexReplaceAll "^[0-9.]+" $text "" -}}
{{- $perMiB := dict "" (divf 1 1048576) "Ki" (divf 1 1024) "Mi" 1.0 "Gi" 1024.0 "Ti" 1048576.0 "k" (divf 1000 1048576) "M" (divf 1000000 1048576) "G" (divf 1000000000 1048576) "T" (divf 1000000000000 1048576) -}}
{{- mulf $number (index $perMiB $unit) -}}
{{- end -}}
{{- end -}}
