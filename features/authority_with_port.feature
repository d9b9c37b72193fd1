@authority-with-port
Feature: An authority with a port
  The mock's own listener is https://localhost:PORT/<tenant>: an authority
  with a port, which the public cloud never has. A client finds its cached
  app tokens there as it does under login.microsoftonline.com. These
  scenarios run only with `fic-harness run --authority localhost`.

  @requires-fmi_path @requires-cache
  Scenario: With a port in the authority, the same fmi path again is a cache hit
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1
    And the blueprint acquires an app token for fmi path "agent A"
    Then the blueprint's cache keys match the snapshot
    And the token came from the cache
    And the token is the one remembered as T1
    And exactly 1 request reached the IdP
