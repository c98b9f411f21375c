{{/* Names and labels. Helpers called inside a range take (dict "root" $ "name" $name). */}}

{{- define "hdh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hdh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "hdh.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "hdh.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* <fullname>-<part>: the Deployment, Service, HPA, PDB of one part. */}}
{{- define "hdh.partName" -}}
{{- printf "%s-%s" (include "hdh.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hdh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hdh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "hdh.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "hdh.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: hdh
{{- end }}

{{/* Every pod of the release: what the default-deny and DNS policies select. */}}
{{- define "hdh.releaseSelector" -}}
app.kubernetes.io/name: {{ include "hdh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hdh.image" -}}
{{- $image := .root.Values.image -}}
{{- printf "%s%s/%s:%s" $image.registry $image.repository .name (default .root.Chart.AppVersion $image.tag) }}
{{- end }}

{{/* HDH_DATABASE_URL from a role and its password's Secret: the password enters through
     $(DATABASE_PASSWORD), expanded by the kubelet, never rendered. */}}
{{- define "hdh.databaseEnv" -}}
{{- $pg := .root.Values.external.postgres -}}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .role.passwordSecret.name }}
      key: {{ .role.passwordSecret.key }}
- name: HDH_DATABASE_URL
  value: {{ printf "postgresql+asyncpg://%s:$(DATABASE_PASSWORD)@%s:%v/%s" .role.user $pg.host $pg.port $pg.database | quote }}
- name: HDH_DATABASE_SSL_MODE
  value: {{ $pg.sslMode | quote }}
{{- if $pg.caSecret }}
- name: HDH_DATABASE_CA_FILE
  value: /etc/hdh/postgres-ca/{{ $pg.caSecret.key }}
{{- end }}
{{- end }}

{{/* The broker: where, how (TLS, SASL/SCRAM) and the durability of the topics created. */}}
{{- define "hdh.kafkaEnv" -}}
{{- $kafka := .Values.external.kafka -}}
- name: HDH_KAFKA_BOOTSTRAP_SERVERS
  value: {{ $kafka.bootstrapServers | quote }}
- name: HDH_KAFKA_REPLICATION_FACTOR
  value: {{ $kafka.replicationFactor | quote }}
- name: HDH_KAFKA_MIN_INSYNC_REPLICAS
  value: {{ $kafka.minInsyncReplicas | quote }}
- name: HDH_KAFKA_SECURITY_PROTOCOL
  value: {{ $kafka.securityProtocol | quote }}
{{- if $kafka.caSecret }}
- name: HDH_KAFKA_CA_FILE
  value: /etc/hdh/kafka-ca/{{ $kafka.caSecret.key }}
{{- end }}
{{- with $kafka.sasl }}
- name: HDH_KAFKA_SASL_MECHANISM
  value: {{ .mechanism | quote }}
- name: HDH_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .secret.name }}
      key: {{ .secret.usernameKey }}
- name: HDH_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secret.name }}
      key: {{ .secret.passwordKey }}
{{- end }}
{{- end }}

{{/* The CA bundles of PostgreSQL and the broker, mounted where the settings point. */}}
{{- define "hdh.caMounts" -}}
{{- with .Values.external.postgres.caSecret }}
- name: postgres-ca
  mountPath: /etc/hdh/postgres-ca
  readOnly: true
{{- end }}
{{- with .Values.external.kafka.caSecret }}
- name: kafka-ca
  mountPath: /etc/hdh/kafka-ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "hdh.caVolumes" -}}
{{- with .Values.external.postgres.caSecret }}
- name: postgres-ca
  secret: {secretName: {{ .name }}}
{{- end }}
{{- with .Values.external.kafka.caSecret }}
- name: kafka-ca
  secret: {secretName: {{ .name }}}
{{- end }}
{{- end }}

{{/* Settings every service reads, beside its database; S3 credentials: its own identity. */}}
{{- define "hdh.serviceEnv" -}}
{{- $values := .root.Values -}}
{{ include "hdh.kafkaEnv" .root }}
- name: HDH_WORK_DIR
  value: /work
- name: HDH_STORAGE_BACKEND
  value: s3
- name: HDH_S3_ENDPOINT
  value: {{ $values.external.s3.endpoint | quote }}
- name: HDH_S3_SECURE
  value: {{ $values.external.s3.secure | quote }}
- name: HDH_S3_REGION
  value: {{ $values.external.s3.region | quote }}
{{- with (index $values.parts .name).s3Credentials }}
- name: HDH_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .accessKeyKey }}
- name: HDH_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .secretKeyKey }}
{{- end }}
- name: HDH_INTERNAL_TOKEN_PUBLIC_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $values.secrets.internalToken.name }}
      key: {{ $values.secrets.internalToken.publicKeyKey }}
- name: HDH_SERVICE_TOKEN_PRIVATE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $values.secrets.serviceToken.name }}
      key: {{ $values.secrets.serviceToken.privateKeyKey }}
- name: HDH_ACCESS_URL
  value: {{ printf "http://%s:%v" (include "hdh.partName" (dict "root" .root "name" "access")) $values.parts.access.port | quote }}
{{- end }}

{{/* Settings of the gateway. */}}
{{- define "hdh.gatewayEnv" -}}
{{- $values := .root.Values -}}
{{- range $service := list "catalog" "access" "linkage" "audit" "workspace" }}
- name: {{ printf "HDH_%s_URL" (upper $service) }}
  value: {{ printf "http://%s:%v" (include "hdh.partName" (dict "root" $.root "name" $service)) (index $values.parts $service).port | quote }}
{{- end }}
- name: HDH_INTERNAL_TOKEN_PRIVATE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $values.secrets.internalToken.name }}
      key: {{ $values.secrets.internalToken.privateKeyKey }}
- name: HDH_OIDC_ISSUER
  value: {{ $values.external.oidc.issuer | quote }}
- name: HDH_OIDC_DISCOVERY_URL
  value: {{ $values.external.oidc.discoveryUrl | quote }}
- name: HDH_OIDC_AUDIENCE
  value: {{ $values.external.oidc.audience | quote }}
{{ include "hdh.kafkaEnv" .root }}
- name: HDH_REQUEST_LOG_DRAIN_SECONDS
  value: {{ (index $values.parts "gateway").spool.drainSeconds | quote }}
# Each pod keys its own request log.
- name: HDH_GATEWAY_INSTANCE
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: HDH_REQUEST_LOG_SPOOL_DIR
  value: /var/lib/hdh/spool
- name: HDH_TRUSTED_PROXIES
  value: {{ $values.ingress.trustedProxies | toJson | quote }}
{{- end }}

{{/* A volume of the pod's own on a real disk (a generic ephemeral volume: a claim made with
the pod and deleted with it), sized by values: scratch files, the request-log spool. */}}
{{- define "hdh.ephemeralVolume" -}}
- name: {{ .name }}
  ephemeral:
    volumeClaimTemplate:
      spec:
        accessModes: [ReadWriteOnce]
        {{- with .volume.storageClassName }}
        storageClassName: {{ . }}
        {{- end }}
        resources:
          requests:
            storage: {{ .volume.size }}
{{- end }}
