@cache @stored_entries
Feature: What the client stores, entry by entry
  The cache keys are not the whole story (docs/protocol.md §4, §5): the
  stored entry of an fmi-path token names the hash that ends its key in
  its own field (MSAL Python and Go: `ext_cache_key`); a user token is an
  ordinary access token whichever identifier the request named, so
  neither its key nor its entry carries an extended cache key; and the app
  token and the user token of one agent never answer each other's
  lookups. Each scenario pins the stored entries before checking them.

  Background:
    Given the blueprint app with a secret credential

  @requires-fmi_path @requires-cache
  Scenario: The fmi path's entry records its hash in ext_cache_key
    When the blueprint acquires an app token for fmi path "agent A"
    Then the blueprint's stored access tokens match the snapshot
    And the blueprint's stored access token records the hash ending its key in "ext_cache_key"

  @requires-fmi_path @requires-context_callback @requires-user_fic_by_oid @requires-cache
  Scenario: A user token obtained by object id is stored without an extended cache key
    Given agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires a user token with T2 for the object id of "alice@contoso.com"
    Then agent A's stored access tokens match the snapshot
    And agent A's stored user token carries no extended cache key
    And agent A lists the account "alice@contoso.com"

  @requires-fmi_path @requires-context_callback @requires-user_fic @requires-silent
  Scenario: The agent's app token and user token never answer each other's lookups
    Given agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as U1
    And agent A acquires an app token
    Then the client's answer matches the snapshot
    And the token is the one remembered as T2
    And the token came from the cache
    When agent A acquires a user token silently for "alice@contoso.com"
    Then the token is the one remembered as U1
    And the token came from the cache
    And exactly 3 requests reached the IdP
