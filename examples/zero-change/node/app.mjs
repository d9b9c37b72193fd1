// An ordinary confidential client: msal-node with its production authority
// and default settings. Nothing here knows about the mock; the environment
// (HTTPS_PROXY, NODE_EXTRA_CA_CERTS, NODE_OPTIONS) decides where it connects.
import { ConfidentialClientApplication } from "@azure/msal-node";

const app = new ConfidentialClientApplication({
    auth: {
        clientId: process.env.CLIENT_ID,
        clientSecret: process.env.CLIENT_SECRET,
        authority: `https://login.microsoftonline.com/${process.env.TENANT_ID}`,
    },
});
try {
    const result = await app.acquireTokenByClientCredential({
        scopes: ["api://AzureADTokenExchange/.default"],
        fmiPath: process.env.FMI_PATH,
    });
    const seconds = Math.round((result.expiresOn.getTime() - Date.now()) / 1000);
    console.log(`token acquired: ${result.tokenType}, expires in ${seconds} s`);
} catch (e) {
    console.error(`no token: ${e.errorCode ?? e.name}: ${e.errorMessage ?? e.message}`);
    process.exit(1);
}
