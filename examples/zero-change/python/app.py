"""An ordinary confidential client: MSAL Python with its production
authority and default settings. Nothing here knows about the mock; the
environment (HTTPS_PROXY, REQUESTS_CA_BUNDLE) decides where it connects."""

import os
import sys

import msal

app = msal.ConfidentialClientApplication(
    os.environ["CLIENT_ID"],
    client_credential=os.environ["CLIENT_SECRET"],
    authority="https://login.microsoftonline.com/" + os.environ["TENANT_ID"],
)
result = app.acquire_token_for_client(
    ["api://AzureADTokenExchange/.default"], fmi_path=os.environ["FMI_PATH"]
)
if "access_token" not in result:
    sys.exit(f"no token: {result.get('error')}: {result.get('error_description')}")
print(f"token acquired: {result['token_type']}, expires in {result['expires_in']} s")
