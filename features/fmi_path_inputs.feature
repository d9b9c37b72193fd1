@fmi_path @fmi_path_inputs
Feature: Blank, null and non-string fmi paths
  MSAL .NET and msal4j refuse a null, empty or blank fmi path before any
  request; MSAL Python refuses only a non-string; msal-node skips an empty
  one and sends a blank one; MSAL Go sends whatever it is given
  (docs/protocol.md §2). Spaces are covered by "A blank fmi path is
  refused before any request" (fmi_cache_isolation.feature); these rows
  cover the other blanks. Each pins the client's answer and what reached
  the IdP before it judges.

  Background:
    Given the blueprint app with a secret credential

  @requires-fmi_path
  Scenario: An empty fmi path is refused before any request
    When the blueprint acquires an app token for an empty fmi path
    Then the client's answer matches the snapshot
    And the token request bodies match the snapshot
    And the client refused before sending anything

  # Only ports whose fmi path parameter can be handed null (msal4j's
  # builder, MSAL Python's keyword, msal-node's request field). Refusing it
  # and treating it as "no fmi path" are both safe; sending it is not.
  @requires-fmi_path_null
  Scenario: A null fmi path never reaches the IdP as an fmi_path
    When the blueprint acquires an app token for a null fmi path
    Then the client's answer matches the snapshot
    And no request reached the IdP with an fmi_path

  @requires-fmi_path_untyped
  Scenario: A non-string fmi path is refused before any request
    When the blueprint acquires an app token for a numeric fmi path
    Then the client's answer matches the snapshot
    And the token request bodies match the snapshot
    And the client refused before sending anything
