{{/*
The chart's helpers on top of the meatyapis-common library. Like the library's, every helper
takes a dict holding the root context under "root"; the labels also take the component:
(dict "root" $ "component" "prometheus"). Object names: meatyapis-common.componentFullname.
*/}}

{{- define "monitoring.selectorLabels" -}}
{{- include "meatyapis-common.selectorLabels" (dict "root" .root "name" (include "meatyapis-common.name" .) "component" .component) -}}
{{- end -}}

{{- define "monitoring.labels" -}}
{{- include "meatyapis-common.labels" (dict "root" .root "name" (include "meatyapis-common.name" .) "component" .component) -}}
{{- end -}}

{{- define "monitoring.podSecurityContext" -}}
{{- include "meatyapis-common.podSecurityContext" (dict "root" .root "securityContext" .root.Values.podSecurityContext) -}}
{{- end -}}

{{/* The namespaces watched for pods and dashboards: the release namespace first, then the
     listed ones, without duplicates (JSON). */}}
{{- define "monitoring.watchNamespaces" -}}
{{- $all := list .root.Release.Namespace }}
{{- range .root.Values.watchNamespaces }}
{{- if not (has . $all) }}{{ $all = append $all . }}{{ end }}
{{- end }}
{{- toJson $all }}
{{- end }}

{{/* Service addresses inside the cluster */}}
{{- define "monitoring.serviceAddress" -}}
{{- $root := .root -}}
{{- $name := include "meatyapis-common.componentFullname" (dict "root" $root "component" .component) -}}
{{- printf "%s.%s.svc.%s:%v" $name $root.Release.Namespace $root.Values.global.clusterDomain (index $root.Values .component).service.port }}
{{- end }}

{{- define "monitoring.prometheus.url" -}}
http://{{ include "monitoring.serviceAddress" (dict "root" .root "component" "prometheus") }}
{{- end }}

{{- define "monitoring.grafana.url" -}}
http://{{ include "monitoring.serviceAddress" (dict "root" .root "component" "grafana") }}
{{- end }}

{{- define "monitoring.alertmanager.address" -}}
{{- include "monitoring.serviceAddress" (dict "root" .root "component" "alertmanager") }}
{{- end }}

{{- define "monitoring.grafana.adminSecretName" -}}
{{- default (include "meatyapis-common.componentFullname" (dict "root" .root "component" "grafana-admin")) .root.Values.grafana.admin.existingSecret }}
{{- end }}

{{/* Value checks: a bad value fails the render with a message naming it. */}}
{{- define "monitoring.validate" -}}
{{- $v := .root.Values }}
{{- if and $v.grafana.ingress.enabled $v.grafana.route.enabled }}
{{- fail "grafana.ingress.enabled and grafana.route.enabled: choose one way to expose Grafana" }}
{{- end }}
{{- if and (include "monitoring.adminSecretGenerator.enabled" .) (not $v.grafana.admin.user) }}
{{- fail "grafana.admin.user: must not be empty when the admin Secret is generated" }}
{{- end }}
{{- if not $v.alertmanager.receiver.name }}
{{- fail "alertmanager.receiver.name: every receiver needs a name" }}
{{- end }}
{{- if and $v.clusterWide $v.watchNamespaces }}
{{- fail "watchNamespaces: leave empty with clusterWide=true (every namespace is watched)" }}
{{- end }}
{{- range $v.prometheus.extraRuleGroups }}
{{- if not (and (kindIs "map" .) .name .rules) }}
{{- fail "prometheus.extraRuleGroups: every group needs a name and rules" }}
{{- end }}
{{- end }}
{{- if and $v.prometheus.fallbackScrapeProtocol (regexMatch "^v?2\\." (toString $v.prometheus.image.tag)) }}
{{- fail (printf "prometheus.fallbackScrapeProtocol: Prometheus %s does not know fallback_scrape_protocol (a 3.x setting): set it to \"\"" $v.prometheus.image.tag) }}
{{- end }}
{{- range $v.prometheus.extraScrapeConfigs }}
{{- if not (and (kindIs "map" .) .job_name) }}
{{- fail "prometheus.extraScrapeConfigs: every scrape config needs a job_name" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Grafana admin Secret is generated in the cluster unless an existing one is named or an
     ExternalSecret writes it. */}}
{{- define "monitoring.adminSecretGenerator.enabled" -}}
{{- $admin := .root.Values.grafana.admin }}
{{- if and .root.Values.grafana.enabled (not (or $admin.existingSecret $admin.externalSecret.enabled)) }}true{{ end }}
{{- end }}

{{/* The generator: meatyapis-common's create-a-Secret-once hook, as YAML (fromYaml it). */}}
{{- define "monitoring.adminSecretGenerator" -}}
{{- $v := .root.Values -}}
{{- toYaml (dict
      "name" (include "meatyapis-common.componentFullname" (dict "root" .root "component" "grafana-admin-secret"))
      "labels" (include "monitoring.labels" (dict "root" .root "component" "admin-secret") | fromYaml)
      "secretName" (include "monitoring.grafana.adminSecretName" .)
      "randomKeys" $v.grafana.admin.passwordKey
      "literals" (dict $v.grafana.admin.userKey $v.grafana.admin.user)
      "secretComponent" "grafana-admin"
      "image" (include "meatyapis-common.image" (dict "root" .root "image" $v.utilityImage))
      "pullPolicy" $v.utilityImage.pullPolicy
      "activeDeadlineSeconds" $v.grafana.adminSecretGenerator.activeDeadlineSeconds
      "podSecurityContext" $v.podSecurityContext) -}}
{{- end -}}

{{/* The egress rule to the Kubernetes API server: its ports, and its addresses when given
     (networkPolicy.apiServerCidrs); a value that is no CIDR fails the render. */}}
{{- define "monitoring.apiServerEgress" -}}
{{- $np := .root.Values.networkPolicy -}}
- ports:
    {{- range $np.apiServerPorts }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $np.apiServerCidrs }}
  to:
    {{- range . }}
    {{- if not (regexMatch "^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$|^[0-9A-Fa-f:]+/[0-9]{1,3}$" (toString .)) }}
    {{- fail (printf "networkPolicy.apiServerCidrs: %q is not a CIDR like 10.0.0.1/32" (toString .)) }}
    {{- end }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end -}}
