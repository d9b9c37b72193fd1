"""Protocol handling of driver.py that needs no identity provider.

Run: .build/venv/bin/python -m unittest discover -s ports/python
"""
import json
import os
import subprocess
import sys
import unittest

DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "driver.py")


def run(*lines):
    """Feeds request lines to a fresh driver; returns its stdout replies."""
    proc = subprocess.run([sys.executable, DRIVER], input="".join(l + "\n" for l in lines),
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, [json.loads(l) for l in proc.stdout.splitlines()]


class ProtocolTest(unittest.TestCase):
    def test_hello_reports_the_loaded_msal_and_no_pop(self):
        import msal
        _, [reply] = run('{"id":1,"cmd":"hello"}')
        self.assertEqual(reply["id"], 1)
        self.assertTrue(reply["ok"])
        self.assertEqual((reply["port"], reply["library"], reply["version"]), ("python", "msal", msal.__version__))
        self.assertIn("fmi_path", reply["capabilities"])
        for absent in ("jwt_pop", "mtls_pop", "assertion_response", "hash_algorithm", "account_lookup"):
            self.assertNotIn(absent, reply["capabilities"])

    def test_every_line_gets_one_reply_in_order_and_bad_ones_a_driver_error(self):
        rc, replies = run("not json", "[1]", '{"id":3,"cmd":"fly"}', '{"id":4,"cmd":"cache","app":"nope"}',
                          '{"id":5,"cmd":"configure","app":"a"}', '{"id":6,"cmd":"hello"}')
        self.assertEqual(rc, 0)
        self.assertEqual([r["id"] for r in replies], [0, 0, 3, 4, 5, 6])
        for reply in replies[:5]:
            self.assertFalse(reply["ok"])
            self.assertEqual(reply["error"]["kind"], "driver", reply)
        self.assertIn("ca_cert", replies[4]["error"]["message"])
        self.assertTrue(replies[5]["ok"])

    def test_features_msal_lacks_are_unsupported_before_any_request(self):
        base = {"cmd": "configure", "app": "a", "client_id": "c", "authority": "https://localhost:1/t",
                "ca_cert": "/nonexistent"}
        pop = dict(base, id=1, credential={"type": "assertion", "assertion": "x",
                                           "token_binding": {"cert_pem_path": "c", "key_pem_path": "k"}})
        obj = dict(base, id=2, credential={"type": "assertion", "assertion": "x", "response_object": True})
        opt = dict(base, id=3, credential={"type": "secret", "secret": "s"}, options={"account_lookup": "strict"})
        _, replies = run(*(json.dumps(r) for r in (pop, obj, opt)))
        self.assertEqual([r["error"]["kind"] for r in replies], ["unsupported"] * 3)

    def test_options_msal_lacks_on_user_fic_are_unsupported(self):
        _, [reply] = run(json.dumps({"id": 1, "cmd": "acquire_by_user_fic", "app": "a", "scopes": ["s"],
                                     "assertion": "t", "username": "u", "force_refresh": True}))
        self.assertEqual(reply["error"]["kind"], "unsupported", reply)

    def test_an_error_the_callback_raised_is_recognised_through_wrapping(self):
        sys.path.insert(0, os.path.dirname(DRIVER))
        import driver
        try:
            try:
                raise driver.CallbackFailure("boom")
            except driver.CallbackFailure as inner:
                raise RuntimeError("wrapped") from inner
        except RuntimeError as outer:
            self.assertTrue(driver.raised_by_callback(outer))
        self.assertFalse(driver.raised_by_callback(ValueError("not the callback")))

    def test_reset_drops_every_app_with_its_cache_and_contexts(self):
        sys.path.insert(0, os.path.dirname(DRIVER))
        import driver
        d = driver.Driver()
        self.assertIn("reset", d.hello({})["capabilities"])
        # configure needs an identity provider (MSAL Python discovers the
        # tenant at construction): stand-in apps hold what a reset must drop.
        for name in ("blueprint", "agent A"):
            app = driver.App.__new__(driver.App)
            app.contexts = [{"client_id": name}]
            d.apps[name] = app
        self.assertEqual(d.handle('{"id":1,"cmd":"callback_contexts","app":"blueprint"}')[0]["contexts"],
                         [{"client_id": "blueprint"}])
        self.assertEqual(d.handle('{"id":2,"cmd":"reset"}'), ({"id": 2, "ok": True}, False))
        self.assertEqual(d.apps, {})
        for n, name in enumerate(("blueprint", "agent A"), start=3):
            reply, _ = d.handle(json.dumps({"id": n, "cmd": "callback_contexts", "app": name}))
            self.assertEqual(reply["error"]["kind"], "driver", reply)
            self.assertIn("no app named", reply["error"]["message"])

    def test_shutdown_replies_then_exits_zero(self):
        rc, replies = run('{"id":9,"cmd":"shutdown"}', '{"id":10,"cmd":"hello"}')
        self.assertEqual(rc, 0)
        self.assertEqual(replies, [{"id": 9, "ok": True}])


if __name__ == "__main__":
    unittest.main()
