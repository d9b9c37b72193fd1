"""Regenerates msal_python_1.39.0_cache.json: what MSAL Python 1.39.0's
SerializableTokenCache writes for one Leg 1 response (fmi_path) and one
user_fic response. `fake_idp.rs` replays the same responses through the
reference client and compares the JSON.

    .build/venv/bin/python crates/msal-ref/tests/data/make_python_golden.py
"""
import base64
import json
import os

import msal

assert msal.__version__ == "1.39.0", msal.__version__


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")


ENDPOINT = "https://localhost:8443/tid/oauth2/v2.0/token"
ID_TOKEN = "e30." + b64({"aud": "agent", "oid": "aaaa", "sub": "s", "tid": "tid",
                         "preferred_username": "alice@contoso.com"}) + ".sig"
cache = msal.SerializableTokenCache()
cache.add({
    "client_id": "bp", "scope": ["api://AzureADTokenExchange/.default"],
    "token_endpoint": ENDPOINT, "environment": "localhost",
    "grant_type": "client_credentials",
    "data": {"fmi_path": "agent", "client_info": "1"},
    "response": {"token_type": "Bearer", "expires_in": 3600,
                 "ext_expires_in": 3600, "access_token": "x"},
}, now=1000)
cache.add({
    "client_id": "agent",
    "scope": "api://resource/Read openid profile offline_access".split(),
    "token_endpoint": ENDPOINT, "environment": "localhost",
    "grant_type": "user_fic",
    "data": {"username": "alice@contoso.com", "client_info": "1"},
    "response": {"token_type": "Bearer", "expires_in": 3600,
                 "ext_expires_in": 3600, "access_token": "u",
                 "refresh_token": "r", "id_token": ID_TOKEN,
                 "client_info": b64({"uid": "aaaa", "utid": "tid"}),
                 "scope": "api://resource/Read openid profile offline_access"},
}, now=1000)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "msal_python_1.39.0_cache.json")
with open(out, "w") as f:
    f.write(cache.serialize() + "\n")
