{{/* Names, labels, images, security contexts and the connection environment shared by every floodgate component. */}}

{{- define "floodgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name prefix: the release name when it already says "floodgate", else `<release>-floodgate`. */}}
{{- define "floodgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "floodgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of one component's objects: dict "root" $ "component" "api". */}}
{{- define "floodgate.componentName" -}}
{{- printf "%s-%s" (include "floodgate.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "floodgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "floodgate.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "floodgate.labels" -}}
helm.sh/chart: {{ include "floodgate.chart" .root }}
{{ include "floodgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: floodgate
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Image reference: dict "root" $ "image" .Values.api.image. The tag falls back to the appVersion, never `latest`. */}}
{{- define "floodgate.image" -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion | toString }}
{{- if eq $tag "latest" }}{{ fail "image tag `latest` is not allowed: pin a version (image.tag or <component>.image.tag)" }}{{ end }}
{{- $repo := .image.repository }}
{{- with .root.Values.image.registry }}{{ $repo = printf "%s/%s" . $repo }}{{ end }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{- define "floodgate.serviceAccountName" -}}
{{- if .root.Values.serviceAccount.create }}{{ include "floodgate.componentName" . }}{{ else }}default{{ end }}
{{- end }}

{{- define "floodgate.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "floodgate.securityContext" -}}
{{- toYaml .Values.securityContext }}
{{- end }}

{{/* Spread a component's pods over hostnames and zones: dict "root" $ "component" "api". */}}
{{- define "floodgate.topologySpread" -}}
{{- if .root.Values.topologySpread.enabled }}
topologySpreadConstraints:
{{- range list "kubernetes.io/hostname" "topology.kubernetes.io/zone" }}
  - maxSkew: 1
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $.root.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "floodgate.selectorLabels" $ | nindent 8 }}
    matchLabelKeys: [pod-template-hash]
{{- end }}
{{- end }}
{{- end }}

{{/* Fail early, with the value's name, when a required connection setting is missing. */}}
{{- define "floodgate.validate" -}}
{{- if not .Values.kafka.brokers }}{{ fail "kafka.brokers is required: the Kafka bootstrap servers, e.g. my-cluster-kafka-bootstrap:9093" }}{{ end }}
{{- if not .Values.database.host }}{{ fail "database.host is required: the PostgreSQL primary, e.g. my-cluster-rw" }}{{ end }}
{{- if not .Values.database.secret }}{{ fail "database.secret is required: a Secret with the database user's username and password (CloudNativePG: <cluster>-app)" }}{{ end }}
{{- if not .Values.redis.host }}{{ fail "redis.host is required: the Redis service name" }}{{ end }}
{{- if ne .Values.kafka.sasl.mechanism "none" }}
{{- range $c := list "api" "worker" }}
{{- $u := index $.Values.kafka.sasl $c }}
{{- if or (not $u.username) (not $u.secret) }}{{ fail (printf "kafka.sasl.%s.username and kafka.sasl.%s.secret are required when kafka.sasl.mechanism is %s" $c $c $.Values.kafka.sasl.mechanism) }}{{ end }}
{{- end }}
{{- if and $.Values.operator.enabled $.Values.worker.lagScaler.enabled (not $.Values.kafka.sasl.operator.secret) }}{{ fail (printf "kafka.sasl.operator.secret is required when kafka.sasl.mechanism is %s: a Secret with the operator's Kafka username and password (the LagScaler reads lag with it)" $.Values.kafka.sasl.mechanism) }}{{ end }}
{{- end }}
{{- if and (has .Values.database.sslMode (list "verify-ca" "verify-full")) (not .Values.database.caSecret) }}{{ fail (printf "database.caSecret is required with database.sslMode=%s (CloudNativePG: <cluster>-ca)" .Values.database.sslMode) }}{{ end }}
{{- if and .Values.notifier.enabled (not .Values.notifier.webhookSecret) }}{{ fail "notifier.webhookSecret is required when notifier.enabled: a Secret with the HMAC key that signs webhook bodies" }}{{ end }}
{{- if and .Values.notifier.enabled (not .Values.notifier.webhookUrls) }}{{ fail "notifier.webhookUrls needs at least one URL when notifier.enabled: where alert transitions are delivered" }}{{ end }}
{{- if gt (int .Values.worker.lagScaler.maxReplicas) (int .Values.kafka.eventsPartitions) }}{{ fail (printf "worker.lagScaler.maxReplicas (%v) exceeds kafka.eventsPartitions (%v): extra consumers would idle" .Values.worker.lagScaler.maxReplicas .Values.kafka.eventsPartitions) }}{{ end }}
{{- end }}

{{- define "floodgate.databaseQuery" -}}
{{- $q := list }}
{{- with .Values.database.sslMode }}{{ $q = append $q (printf "sslmode=%s" .) }}{{ end }}
{{- if .Values.database.caSecret }}{{ $q = append $q (printf "sslrootcert=/etc/floodgate/postgres-ca/%s" .Values.database.caKey) }}{{ end }}
{{- if $q }}?{{ join "&" $q }}{{ end }}
{{- end }}

{{/*
The connection environment of one component: dict "root" $ "component" "api" "kafkaUser" "api" "database" true "redis" true.
Each component gets only the credentials it uses (kafkaUser "" means no Kafka). Passwords come from Secrets as
variables, and the URLs reference them with $(VAR) so they never sit in a ConfigMap.
*/}}
{{- define "floodgate.connectionEnv" -}}
{{- $v := .root.Values -}}
{{- if .kafkaUser }}
- name: KAFKA_CLIENT_ID
  value: {{ printf "floodgate-%s" .component | quote }}
{{- if ne $v.kafka.sasl.mechanism "none" }}
{{- $u := index $v.kafka.sasl .kafkaUser }}
- name: KAFKA_SASL_USERNAME
  value: {{ tpl $u.username .root | quote }}
- name: KAFKA_SASL_PASSWORD_FILE
  value: /etc/floodgate/kafka-sasl/{{ $u.passwordKey }}
{{- end }}
{{- end }}
{{- if .database }}
- name: DATABASE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ tpl $v.database.secret .root }}
      key: {{ $v.database.usernameKey }}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ tpl $v.database.secret .root }}
      key: {{ $v.database.passwordKey }}
- name: DATABASE_URL
  value: {{ printf "postgresql://$(DATABASE_USERNAME):$(DATABASE_PASSWORD)@%s:%v/%s%s" (tpl $v.database.host .root) $v.database.port $v.database.name (include "floodgate.databaseQuery" .root) | quote }}
{{- with $v.database.readHost }}
- name: DATABASE_READ_URL
  value: {{ printf "postgresql://$(DATABASE_USERNAME):$(DATABASE_PASSWORD)@%s:%v/%s%s" (tpl . $.root) $v.database.port $v.database.name (include "floodgate.databaseQuery" $.root) | quote }}
{{- end }}
{{- end }}
{{- if .redis }}
{{- $scheme := ternary "rediss" "redis" $v.redis.tls }}
{{- if $v.redis.secret }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ tpl $v.redis.secret .root }}
      key: {{ $v.redis.passwordKey }}
- name: REDIS_URL
  value: {{ printf "%s://:$(REDIS_PASSWORD)@%s:%v/%v" $scheme (tpl $v.redis.host .root) $v.redis.port $v.redis.db | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ printf "%s://%s:%v/%v" $scheme (tpl $v.redis.host .root) $v.redis.port $v.redis.db | quote }}
{{- end }}
{{- end }}
{{ include "floodgate.otelEnv" . }}
{{- end }}

{{/* OpenTelemetry identity of a pod: dict "root" $ "component" "api". The tracing bootstrap adds the pod and namespace from POD_NAME/POD_NAMESPACE. */}}
{{- define "floodgate.otelEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_SERVICE_NAME
  value: {{ printf "floodgate-%s" .component | quote }}
{{- with .root.Values.otel.resourceAttributes }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ . | quote }}
{{- end }}
{{- end }}

{{/* Volumes for the connection settings: the Kafka CA and password, the PostgreSQL CA, and a writable /tmp. */}}
{{- define "floodgate.connectionVolumes" -}}
{{- $v := .root.Values -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if and .kafkaUser $v.kafka.tls.enabled $v.kafka.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ tpl $v.kafka.tls.caSecret .root }}
    items:
      - key: {{ $v.kafka.tls.caKey }}
        path: {{ $v.kafka.tls.caKey }}
{{- end }}
{{- if and .kafkaUser (ne $v.kafka.sasl.mechanism "none") }}
{{- $u := index $v.kafka.sasl .kafkaUser }}
- name: kafka-sasl
  secret:
    secretName: {{ tpl $u.secret .root }}
    items:
      - key: {{ $u.passwordKey }}
        path: {{ $u.passwordKey }}
{{- end }}
{{- if and .database $v.database.caSecret }}
- name: postgres-ca
  secret:
    secretName: {{ tpl $v.database.caSecret .root }}
    items:
      - key: {{ $v.database.caKey }}
        path: {{ $v.database.caKey }}
{{- end }}
{{- end }}

{{- define "floodgate.connectionVolumeMounts" -}}
{{- $v := .root.Values -}}
- name: tmp
  mountPath: /tmp
{{- if and .kafkaUser $v.kafka.tls.enabled $v.kafka.tls.caSecret }}
- name: kafka-ca
  mountPath: /etc/floodgate/kafka-ca
  readOnly: true
{{- end }}
{{- if and .kafkaUser (ne $v.kafka.sasl.mechanism "none") }}
- name: kafka-sasl
  mountPath: /etc/floodgate/kafka-sasl
  readOnly: true
{{- end }}
{{- if and .database $v.database.caSecret }}
- name: postgres-ca
  mountPath: /etc/floodgate/postgres-ca
  readOnly: true
{{- end }}
{{- end }}

{{/* Pod-level scheduling and security shared by every Deployment: dict "root" $ "component" "api" "values" .Values.api. */}}
{{- define "floodgate.podCommon" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "floodgate.podSecurityContext" .root | nindent 2 }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- include "floodgate.topologySpread" . }}
{{- end }}

{{/* The Secret with the generated HS256 key when neither a JWKS URL nor an existing Secret is given. */}}
{{- define "floodgate.jwtSecretName" -}}
{{- if .Values.api.auth.jwtSecret }}{{ tpl .Values.api.auth.jwtSecret . }}{{ else }}{{ include "floodgate.componentName" (dict "root" . "component" "jwt") }}{{ end }}
{{- end }}
