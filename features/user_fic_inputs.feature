@user_fic @user_fic_inputs
Feature: What user_fic accepts from the application
  The client checks the application's input before anything reaches the
  IdP: exactly one of username and user id, never neither
  (docs/protocol.md §2). The scopes "openid profile offline_access" are
  the flow's own: an application that passes them too must not make the
  client send them twice. And the request options some ports offer on
  user_fic (msal4j: force refresh, claims, tenant; MSAL Python: claims;
  msal-node and MSAL Go: claims, tenant) do what they say, where a port
  has them.

  Background:
    Given the blueprint app with a secret credential
    And agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2

  @requires-user_fic
  Scenario: Neither username nor user id is refused by the client
    When agent A acquires a user token with T2 for no user
    Then the client's answer matches the snapshot
    And the client refused before sending anything

  @requires-user_fic
  Scenario: Reserved scopes passed by the application are sent once each
    When agent A acquires a user token with T2 for "alice@contoso.com" passing the reserved scopes itself
    Then the token request bodies match the snapshot
    And the token belongs to "alice@contoso.com"
    And the last request's scope named each of "api://contoso-api/read openid profile offline_access" exactly once

  @requires-user_fic @requires-user_fic_force_refresh
  Scenario: Force refresh sends a cached user's request to the IdP
    When agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as ALICE
    And agent A acquires a user token with T2 for "alice@contoso.com" with force refresh
    Then the client's answer matches the snapshot
    And the token came from the identity provider
    And the token belongs to "alice@contoso.com"
    And the token is not the one remembered as ALICE
    And exactly 4 requests reached the IdP

  @requires-user_fic @requires-user_fic_claims
  Scenario: A claims request on user_fic reaches the IdP
    When agent A acquires a user token with T2 for "alice@contoso.com" with a claims request
    Then the token request bodies match the snapshot
    And the token belongs to "alice@contoso.com"
    And the last request's "claims" included the claims request

  # The mock's directory holds one tenant, so the request sent to another
  # one is refused there (AADSTS90002); what is checked is where it went.
  @requires-user_fic @requires-user_fic_tenant
  Scenario: A tenant override sends user_fic to that tenant's token endpoint
    When agent A acquires a user token with T2 for "alice@contoso.com" with a tenant override
    Then the client's answer matches the snapshot
    And the token request bodies match the snapshot
    And the last request went to the overriding tenant's token endpoint
