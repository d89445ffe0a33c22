{{- define "meatyapis.component.networkpolicy" -}}
{{- $root := .root -}}
{{- $v := index $root.Values .component -}}
{{- $np := $root.Values.networkPolicy -}}
{{- if $np.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "meatyapis.component.fullname" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "meatyapis.component.labels" . | nindent 4 }}
  {{- include "meatyapis-common.annotations" (dict "root" $root) }}
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
    # Prometheus, and nothing else, scrapes /metrics on the metrics port (the API port stays
    # closed to it)
    - ports:
        - port: metrics
          protocol: TCP
      from:
        - namespaceSelector:
            {{- toYaml $np.monitoringNamespaceSelector | nindent 12 }}
          podSelector:
            {{- toYaml $np.monitoringPodSelector | nindent 12 }}
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
    {{- with include (printf "meatyapis.%s.egress" .component) . }}
    {{- . | nindent 4 }}
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
