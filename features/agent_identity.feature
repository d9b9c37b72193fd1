@agent_identity
Feature: Agent identity, Legs 1 -> 2 -> 3
  Leg 1: the blueprint asks for T1 with fmi_path = the agent's id.
  Leg 2: the agent authenticates with T1 (its assertion callback gets T1
  from the blueprint) and receives T2.
  Leg 3: the agent redeems T2 for a user token with the user_fic grant.
  Then the refusals the IdP must make (docs/protocol.md §1, §7). Each scenario pins what
  the client did (requests, refusal) before checking it.

  @requires-fmi_path @requires-context_callback @requires-user_fic @requires-silent
  Scenario: The three legs end to end
    Given the blueprint app with a certificate credential
    And agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    Then the token came from the identity provider
    And the token's "azp" claim is "agent A"
    And the token's "xms_par_app_azp" claim is "blueprint"
    And the token is remembered as T2
    And exactly 2 requests reached the IdP
    And request 1 came from the blueprint with fmi path "agent A"
    And request 2 came from agent A
    And agent A's assertion callback was last called with its client id, the token endpoint and no fmi path
    When agent A acquires a user token with T2 for "alice@contoso.com"
    Then the token request bodies match the snapshot
    And the token came from the identity provider
    And the token belongs to "alice@contoso.com"
    And the last request had grant_type "user_fic"
    And exactly 3 requests reached the IdP
    And every request succeeded
    When agent A acquires a user token silently for "alice@contoso.com"
    Then the token came from the cache
    And exactly 3 requests reached the IdP

  @requires-fmi_path @requires-context_callback
  Scenario: Leg 2 again is served from the agent's cache, and T1 from the blueprint's
    Given the blueprint app with a secret credential
    And agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires an app token
    Then the token came from the cache
    And the token is the one remembered as T2
    And exactly 2 requests reached the IdP

  @requires-fmi_path
  Scenario: T1 minted for agent A is refused when agent B presents it
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1
    Given agent B whose assertion callback returns T1 as a string
    When agent B acquires an app token
    Then the client's refusal matches the snapshot
    And the refusal is AADSTS700213 with status 401

  @requires-fmi_path @requires-context_callback @requires-user_fic
  Scenario: T2 of agent A is refused when another client presents it
    Given the blueprint app with a secret credential
    And agent A whose assertion callback gets T1 from the blueprint
    And agent B whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent B acquires a user token with T2 for "alice@contoso.com"
    Then the client's refusal matches the snapshot
    And the refusal is AADSTS9990012 with status 400

  @requires-fmi_path
  Scenario: An expired T1 is refused
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1
    And the mock's clock moves 2 hours on
    Given agent A whose assertion callback returns T1 as a string
    When agent A acquires an app token
    Then the client's refusal matches the snapshot
    And the refusal is AADSTS700024 with status 401
