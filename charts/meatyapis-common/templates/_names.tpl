{{/*
Every helper of this library takes a dict holding the parent chart's root context under "root",
e.g. (dict "root" $ "component" "grafana"); the other keys are named at each helper.
*/}}

{{/* The chart's name, or nameOverride. */}}
{{- define "meatyapis-common.name" -}}
{{- default .root.Chart.Name .root.Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release-scoped prefix: fullnameOverride, else the release name when it already holds
     the chart's name, else "<release>-<name>". */}}
{{- define "meatyapis-common.fullname" -}}
{{- $root := .root -}}
{{- if $root.Values.fullnameOverride -}}
{{- $root.Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "meatyapis-common.name" . -}}
{{- if contains $name $root.Release.Name -}}
{{- $root.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" $root.Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>" within 63 characters: the release part is cut, never the
     component, so that "room" characters fit after it (default: those of "-<component>"; more
     when the chart appends suffixes to the name). Keys: component, room (optional). */}}
{{- define "meatyapis-common.componentFullname" -}}
{{- $room := .room | default (add 1 (len .component)) -}}
{{- $prefix := include "meatyapis-common.fullname" . | trunc (int (sub 63 $room)) | trimSuffix "-" -}}
{{- printf "%s-%s" $prefix .component -}}
{{- end -}}

{{/* The helm.sh/chart label: "<chart>-<version>". */}}
{{- define "meatyapis-common.chart" -}}
{{- printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}
