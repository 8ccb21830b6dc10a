{{/* Names and labels of the floodgate-postgres chart. */}}

{{- define "floodgate-postgres.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Cluster's name: `<release>-postgres`; CloudNativePG derives `<name>-rw`, `<name>-ro`, `<name>-app` from it. */}}
{{- define "floodgate-postgres.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-postgres" .Release.Name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "floodgate-postgres.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "floodgate-postgres.labels" -}}
helm.sh/chart: {{ include "floodgate-postgres.chart" . }}
app.kubernetes.io/name: {{ include "floodgate-postgres.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: floodgate
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}
