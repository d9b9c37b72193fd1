"""Loads a cache written by the reference client into MSAL Python's
SerializableTokenCache and asks MSAL Python for each token.

stdin: {"authority": "https://localhost/<tenant>", "cache": "<serialized>",
        "checks": [{"client_id", "kind": "user"|"app", "scopes": [...],
                    "username"?: str, "fmi_path"?: str}]}
stdout: one JSON object {"msal_version", "results": [...], "token_requests": n}

Discovery is answered by a stub http_client so the script needs no server;
any token request is recorded and refused, so a cache miss is visible as a
non-zero "token_requests" and an error result, never as a silent refresh.
"""
import json
import sys

import msal


class _Response:
    def __init__(self, status_code, body):
        self.status_code = status_code
        self.text = json.dumps(body)
        self.headers = {}

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError("HTTP %d" % self.status_code)


class StubHttp:
    def __init__(self, authority):
        self.authority = authority.rstrip("/")
        self.token_requests = []

    def get(self, url, params=None, headers=None, **kwargs):
        if url.endswith("/v2.0/.well-known/openid-configuration"):
            a = self.authority
            return _Response(200, {
                "authorization_endpoint": a + "/oauth2/v2.0/authorize",
                "token_endpoint": a + "/oauth2/v2.0/token",
                "device_authorization_endpoint": a + "/oauth2/v2.0/devicecode",
                "issuer": a + "/v2.0",
            })
        return _Response(404, {"error": "not_found", "url": url})

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        self.token_requests.append(url)
        return _Response(400, {
            "error": "invalid_request",
            "error_description": "the cross-check allows no token request",
        })

    def close(self):
        pass


def main():
    spec = json.load(sys.stdin)
    cache = msal.SerializableTokenCache()
    cache.deserialize(spec["cache"])
    http = StubHttp(spec["authority"])
    results = []
    for check in spec["checks"]:
        app = msal.ConfidentialClientApplication(
            check["client_id"],
            client_credential="unused-the-cache-must-answer",
            authority=spec["authority"],
            token_cache=cache,
            http_client=http,
            instance_discovery=False,
            validate_authority=False,
        )
        if check["kind"] == "user":
            accounts = app.get_accounts(username=check["username"])
            if len(accounts) != 1:
                results.append({"error": "accounts found: %d" % len(accounts)})
                continue
            result = app.acquire_token_silent(check["scopes"], account=accounts[0])
            if result is None:
                results.append({"error": "acquire_token_silent returned None",
                                "account": accounts[0]})
                continue
        else:
            kwargs = {"fmi_path": check["fmi_path"]} if check.get("fmi_path") else {}
            result = app.acquire_token_for_client(check["scopes"], **kwargs)
        results.append({
            "access_token": result.get("access_token"),
            "token_source": result.get("token_source"),
            "error": result.get("error"),
        })
    json.dump({
        "msal_version": msal.__version__,
        "results": results,
        "token_requests": len(http.token_requests),
    }, sys.stdout)


if __name__ == "__main__":
    main()
