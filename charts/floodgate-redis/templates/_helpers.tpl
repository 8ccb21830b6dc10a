{{/* Names and labels of the floodgate-redis chart. */}}

{{- define "floodgate-redis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* `<release>-redis` (the Service the floodgate chart connects to). */}}
{{- define "floodgate-redis.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-redis" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "floodgate-redis.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "floodgate-redis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "floodgate-redis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: cache
{{- end }}

{{- define "floodgate-redis.labels" -}}
helm.sh/chart: {{ include "floodgate-redis.chart" . }}
{{ include "floodgate-redis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: floodgate
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "floodgate-redis.image" -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion | toString }}
{{- if eq $tag "latest" }}{{ fail "image tag `latest` is not allowed: pin a version" }}{{ end }}
{{- $repo := .image.repository }}
{{- with .image.registry }}{{ $repo = printf "%s/%s" . $repo }}{{ end }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{- define "floodgate-redis.secretName" -}}
{{- .Values.auth.existingSecret | default (include "floodgate-redis.fullname" .) }}
{{- end }}
