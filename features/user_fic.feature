@user_fic
Feature: The user_fic grant (Leg 3)
  The agent redeems T2 for a user token: grant_type=user_fic,
  user_federated_identity_credential=T2, exactly one of username / user_id,
  client_info=1, the scope plus "openid profile offline_access", and the
  x-anchormailbox header (docs/protocol.md §2). The result is an ordinary user token:
  cached as AccessToken (no fmi hash), with its account, and acquire-silent
  returns it (docs/protocol.md §5). The wire, the keys and the stored entries are pinned
  before any check a port may fail.

  Background:
    Given the blueprint app with a secret credential
    And agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2

  @requires-fmi_path @requires-context_callback @requires-user_fic
  Scenario: The exact wire of a user_fic request by UPN
    When agent A acquires a user token with T2 for "alice@contoso.com"
    Then the token request bodies match the snapshot
    And the token came from the identity provider
    And the token belongs to "alice@contoso.com"
    And the last request had grant_type "user_fic"
    And the last request came from agent A
    And the last request's "username" was "alice@contoso.com"
    And the last request had no "user_id"
    And the last request's "client_info" was "1"
    And the last request had no "fmi_path"
    And the last request's scope was "api://contoso-api/read openid profile offline_access" in any order
    And the last request's "x-anchormailbox" header was "upn:alice@contoso.com"
    And the last request authenticated with jwt_bearer

  @requires-fmi_path @requires-context_callback @requires-user_fic_by_oid
  Scenario: A user_fic request by object id
    When agent A acquires a user token with T2 for the object id of "bob@contoso.com"
    Then the token request bodies match the snapshot
    And the token came from the identity provider
    And the token belongs to "bob@contoso.com"
    And the last request's "user_id" was "22222222-aaaa-4bbb-8ccc-000000000002"
    And the last request had no "username"

  @requires-fmi_path @requires-context_callback @requires-user_fic @requires-cache @requires-silent
  Scenario: The user token is cached as an ordinary access token with its account, and silent returns it
    When agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as U1
    Then agent A's cache keys match the snapshot
    And agent A's stored cache entries match the snapshot
    And agent A lists the account "alice@contoso.com"
    And no access-token key of agent A contains "-atext-"
    When agent A acquires a user token silently for "alice@contoso.com"
    Then the token came from the cache
    And the token is the one remembered as U1
    And exactly 3 requests reached the IdP

  @requires-fmi_path @requires-context_callback @requires-user_fic
  Scenario: Both username and user id is refused by the client
    When agent A acquires a user token with T2 for both the username and the object id of "bob@contoso.com"
    Then the client refused before sending anything

  @requires-fmi_path @requires-context_callback @requires-user_fic
  Scenario: An empty user assertion is refused by the client
    When agent A acquires a user token with an empty assertion for "bob@contoso.com"
    Then the client refused before sending anything

  @requires-fmi_path @requires-context_callback @requires-user_fic
  Scenario: An unknown user is refused by the IdP
    When agent A acquires a user token with T2 for "mallory@contoso.com"
    Then the client's refusal matches the snapshot
    And the refusal is AADSTS50034 with status 400
