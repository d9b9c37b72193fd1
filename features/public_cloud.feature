@public-cloud
Feature: The public cloud's authority
  With https://login.microsoftonline.com/<tenant>, reached through the
  mock's proxy, a client runs its production code path (authority
  validation, instance discovery) and chooses the `environment` of its
  cache entries itself: the authority's host, or the `preferred_cache`
  alias instance discovery names (login.windows.net). The reference client
  keeps the authority's host, as MSAL Python does. These scenarios run only
  with the production authority (the default of `fic-harness run`).

  @requires-cache
  Scenario: App tokens are cached under the authority's host
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token
    Then the blueprint's cache keys match the snapshot
    And every cache entry of the blueprint has the environment "login.microsoftonline.com"

  @requires-fmi_path @requires-context_callback @requires-user_fic @requires-cache
  Scenario: User tokens and their account are cached under the authority's host
    Given the blueprint app with a secret credential
    And agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires a user token with T2 for "alice@contoso.com"
    Then agent A's cache keys match the snapshot
    And every cache entry of agent A has the environment "login.microsoftonline.com"
