// keyless on Azure Container Apps. The managed Dapr sidecar of Container Apps does not load pluggable
// components, so keyless's container runs daprd itself: `keyless serve --then daprd ...` binds the socket,
// then starts daprd as its supervised child (no start-order race, one exit code for both). The socket's
// EmptyDir is mounted in that container only; the app never sees it. One user-assigned identity pulls the
// images from ACR, reads Key Vault and Tables (through keyless) and the storage queue (the sample). Every role
// is granted before the first revision (dependsOn). A thin translation of the pod scripts/test-images.sh runs
// as "aca"; nothing here can compile Bicep itself.
//
// Deploy (see README.md beside this file):
//   az deployment group create -g <rg> -f deploy/aca/main.bicep -p acrName=<acr> vaultName=<kv> storageAccountName=<st>

@description('Location of every resource.')
param location string = resourceGroup().location
@description('Existing Azure Container Registry holding the keyless and queuereader images.')
param acrName string
@description('Existing Key Vault that holds the app secrets.')
param vaultName string
@description('Existing storage account with the queue the sample reads.')
param storageAccountName string
@description('keyless with daprd inside: az acr build -t keyless-daprd:0.1.0 --target with-daprd .')
param keylessImage string = '${acrName}.azurecr.io/keyless-daprd:0.1.0'
@description('The sample: az acr build -t keyless-dev:0.1.0 -f Dockerfile.dev .')
param appImage string = '${acrName}.azurecr.io/keyless-dev:0.1.0'
param environmentName string = 'keyless-env'
param appName string = 'queuereader'
param queueName string = 'orders'

var roles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${appName}-id'
  location: location
}

resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: acrName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acr.id, identity.id, roles.acrPull)
  scope: acr
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

resource vaultReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource queueUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
  }
}

resource tableUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

resource env 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  properties: {}
}

// Component YAMLs for the self-run daprd, mounted as files through a secrets volume.
// (Multi-line Bicep strings do not interpolate, hence the placeholders and replace().)
var secretStoreYaml = replace(replace('''
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: secretstore
spec:
  type: secretstores.keyless
  version: v1
  metadata:
    - name: vaultName
      value: "VAULT_NAME"
    - name: azureClientId
      value: "CLIENT_ID"
''', 'VAULT_NAME', vaultName), 'CLIENT_ID', identity.properties.clientId)
var stateStoreYaml = replace(replace('''
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.keyless
  version: v1
  metadata:
    - name: backend
      value: tables
    - name: accountName
      value: "ACCOUNT_NAME"
    - name: azureClientId
      value: "CLIENT_ID"
''', 'ACCOUNT_NAME', storageAccountName), 'CLIENT_ID', identity.properties.clientId)

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  dependsOn: [acrPull, vaultReader, queueUser, tableUser]
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    managedEnvironmentId: env.id
    configuration: {
      // The managed Dapr sidecar stays off: it cannot load pluggable components.
      dapr: { enabled: false }
      ingress: { external: true, targetPort: 3000 }
      registries: [{ server: acr.properties.loginServer, identity: identity.id }]
      secrets: [
        { name: 'secretstore-yaml', value: secretStoreYaml }
        { name: 'statestore-yaml', value: stateStoreYaml }
      ]
    }
    template: {
      volumes: [
        { name: 'dapr-sockets', storageType: 'EmptyDir' }
        { name: 'keyless-data', storageType: 'EmptyDir' }
        {
          name: 'components'
          storageType: 'Secret'
          secrets: [
            { secretRef: 'secretstore-yaml', path: 'secretstore.yaml' }
            { secretRef: 'statestore-yaml', path: 'statestore.yaml' }
          ]
        }
      ]
      containers: [
        {
          // keyless binds /var/run/dapr-sockets/keyless.sock, then runs daprd as its child.
          name: 'keyless'
          image: keylessImage
          args: [
            'serve'
            '--then'
            '/usr/local/bin/daprd'
            '--app-id=${appName}'
            '--app-port=3000'
            '--resources-path=/components'
            '--dapr-http-port=3500'
            '--dapr-grpc-port=50001'
            '--dapr-listen-addresses=127.0.0.1'
            '--log-level=info'
          ]
          env: [{ name: 'DAPR_COMPONENTS_SOCKETS_FOLDER', value: '/var/run/dapr-sockets' }]
          volumeMounts: [
            { volumeName: 'dapr-sockets', mountPath: '/var/run/dapr-sockets' }
            { volumeName: 'keyless-data', mountPath: '/var/lib/keyless' }
            // also what `keyless doctor --components /components` reads (README)
            { volumeName: 'components', mountPath: '/components' }
          ]
          // /healthz and /readyz on keyless's metrics listener (README "Metrics and health").
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 9464 }, periodSeconds: 10 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 9464 }, periodSeconds: 10 }
          ]
          resources: { cpu: json('0.5'), memory: '1Gi' }
        }
        {
          name: 'app'
          image: appImage
          args: ['dist/samples/queuereader/src/main.js']
          env: [
            { name: 'DAPR_GRPC_PORT', value: '50001' }
            { name: 'QUEUE_AUTH', value: 'identity' }
            { name: 'QUEUE_ENDPOINT', value: storage.properties.primaryEndpoints.queue }
            { name: 'QUEUE_NAME', value: queueName }
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
          ]
          resources: { cpu: json('0.5'), memory: '1Gi' }
        }
      ]
      scale: { minReplicas: 1, maxReplicas: 1 }
    }
  }
}

output url string = 'https://${app.properties.configuration.ingress.fqdn}'
output identityClientId string = identity.properties.clientId
