{{/* Names and labels of the floodgate-kafka chart. */}}

{{- define "floodgate-kafka.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Kafka cluster's name: `<release>-kafka` (Strimzi derives `<name>-kafka-bootstrap`, `<name>-cluster-ca-cert` from it). */}}
{{- define "floodgate-kafka.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-kafka" .Release.Name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "floodgate-kafka.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "floodgate-kafka.labels" -}}
helm.sh/chart: {{ include "floodgate-kafka.chart" . }}
app.kubernetes.io/name: {{ include "floodgate-kafka.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: floodgate
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that tie a KafkaNodePool, KafkaTopic or KafkaUser to the cluster. */}}
{{- define "floodgate-kafka.clusterLabel" -}}
strimzi.io/cluster: {{ include "floodgate-kafka.fullname" . }}
{{- end }}

{{- define "floodgate-kafka.topic" -}}
{{- printf "%s.%s" .root.Values.topics.prefix .suffix }}
{{- end }}

{{/* Kubernetes object names may not hold dots; topic names may. */}}
{{- define "floodgate-kafka.topicObjectName" -}}
{{- printf "%s-%s" (include "floodgate-kafka.fullname" .root) (.suffix | replace "." "-") | trunc 63 | trimSuffix "-" }}
{{- end }}
