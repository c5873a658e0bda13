{{- define "tensorfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tensorfleet.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tensorfleet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "tensorfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tensorfleet
{{- end -}}

{{- define "tensorfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tensorfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "tensorfleet.agentSelectorLabels" -}}
app.kubernetes.io/name: {{ include "tensorfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gpu-agent
{{- end -}}

{{- define "tensorfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tensorfleet.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tensorfleet.image" -}}
{{- $repo := .repository -}}
{{- if .digest -}}
{{- printf "%s@%s" $repo .digest -}}
{{- else -}}
{{- printf "%s:%s" $repo .tag -}}
{{- end -}}
{{- end -}}

{{- define "tensorfleet.operatorImage" -}}
{{- include "tensorfleet.image" (dict "repository" .Values.image.repository "tag" (default .Chart.AppVersion .Values.image.tag) "digest" .Values.image.digest) -}}
{{- end -}}

{{- define "tensorfleet.agentImage" -}}
{{- include "tensorfleet.image" (dict "repository" (default .Values.image.repository .Values.agent.image.repository) "tag" (default (default .Chart.AppVersion .Values.image.tag) .Values.agent.image.tag) "digest" "") -}}
{{- end -}}

{{/*
Restricted Pod Security Standard: pod- and container-level settings shared by operator and agent.
*/}}
{{- define "tensorfleet.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsUser }}
fsGroup: {{ .Values.runAsUser }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "tensorfleet.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The operator's rules on namespaced objects: rendered into one ClusterRole (watch.mode=cluster) or
one Role per watched namespace (watch.mode=namespaced). One rule per line so that the RBAC test can
tie a `rbac-justify:` comment to its rule: a justified rule may go unused in the end-to-end suite.
*/}}
{{- define "tensorfleet.namespacedRules" -}}
- {apiGroups: ["tensorfleet.io"], resources: ["subnets"], verbs: ["get", "list", "watch"]}  # rbac-justify: get reads a Subnet past the watch cache right after our own status write (hyperparameter history is reported once)
- {apiGroups: ["tensorfleet.io"], resources: ["neurons"], verbs: ["get", "list", "watch"]}  # rbac-justify: get reads a Neuron past the watch cache right after our own status write
- {apiGroups: ["tensorfleet.io"], resources: ["subnets/status", "neurons/status"], verbs: ["patch"]}
- {apiGroups: ["tensorfleet.io"], resources: ["neuronsets"], verbs: ["list", "watch"]}  # rbac-justify: the NeuronSet controller watches its sets
- {apiGroups: ["tensorfleet.io"], resources: ["neuronsets"], verbs: ["get"]}  # rbac-justify: reads a NeuronSet past the watch cache right after our own status write
- {apiGroups: ["tensorfleet.io"], resources: ["neuronsets"], verbs: ["patch"]}  # rbac-justify: adds and removes the ledger finalizer (deletion waits for unresolved spends)
- {apiGroups: ["tensorfleet.io"], resources: ["spends"], verbs: ["get", "list", "watch", "create", "delete"]}  # rbac-justify: the ledger: intents recorded before submission (get after a lost create answer), never-submitted intents deleted, old resolved ones pruned
- {apiGroups: ["tensorfleet.io"], resources: ["spends/status"], verbs: ["patch"]}  # rbac-justify: an intent's outcome, written once
- {apiGroups: ["tensorfleet.io"], resources: ["neuronsets/status"], verbs: ["patch"]}  # rbac-justify: the NeuronSet controller reports replicas, spend and conditions
- {apiGroups: ["tensorfleet.io"], resources: ["neurons"], verbs: ["create", "patch", "delete"]}  # rbac-justify: NeuronSet members are applied on scale-up and template changes, the highest ordinals deleted on scale-down and deregistered members replaced
- {apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["list", "watch", "create", "patch", "delete"]}
- {apiGroups: [""], resources: ["services"], verbs: ["list", "watch", "create", "patch", "delete"]}
- {apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch", "create", "patch"]}
- {apiGroups: [""], resources: ["secrets"], verbs: ["delete"]}  # rbac-justify: a NeuronSet with replaceDeregistered deletes the generated hotkey Secret of a deregistered member it replaces
- {apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"]}
- {apiGroups: [""], resources: ["pods"], verbs: ["delete"]}  # rbac-justify: operator-initiated restarts (stale weights), bounded by health.maxRestartsPerHour
- {apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create"]}
- {apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["patch"]}  # rbac-justify: updates the count of a repeated Event, which a short run may not repeat
{{- end -}}
{{/* Server-side apply of an object that does not exist yet is authorized as create as well as
patch, hence create next to patch wherever the operator applies children. Wallet Secrets go with
their Neuron through owner references; a hotkey Secret outlives its Neuron (it holds a registered,
possibly staked key), except the generated one of a deregistered NeuronSet member being replaced. */}}

{{- define "tensorfleet.nodeRules" -}}
- {apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"]}  # rbac-justify: axon address discovery and GPU labels; the emulator may have no Node objects to read
{{- end -}}

{{- define "tensorfleet.leaseRules" -}}
- {apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"]}  # rbac-justify: only the first leader creates the Lease; later runs find it
- {apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [{{ .Values.leaderElection.leaseName | quote }}], verbs: ["get", "patch"]}  # rbac-justify: used only with --leader-elect
{{- end -}}
