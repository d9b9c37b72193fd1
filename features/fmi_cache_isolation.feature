@fmi_path
Feature: FMI cache isolation
  A token acquired with an fmi path (Leg 1's T1) is cached apart from every
  other fmi path and from plain app tokens, under a key that ends with the
  hash of its extra body fields (docs/protocol.md §4). The full keys, and the stored
  entries with their fields, are pinned in snapshots/<port>/, byte for byte,
  before any check a port may fail.

  Names: "agent A" / "agent B" stand for the agents' client ids
  (fixtures/directory.toml). Every app token here is for
  api://AzureADTokenExchange/.default.

  @requires-fmi_path @requires-cache
  Scenario: Two fmi paths get two cache entries and one request each
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    Then the token came from the identity provider
    And the token's "sub" claim is "/eid1/c/pub/t/{tenant}/a/{blueprint}/{agent A}"
    And the token is remembered as T1
    When the blueprint acquires an app token for fmi path "agent B"
    Then the blueprint's cache keys match the snapshot
    And the blueprint's stored cache entries match the snapshot
    And the token request bodies match the snapshot
    And the token came from the identity provider
    And the token is not the one remembered as T1
    And exactly 2 requests reached the IdP
    And request 1 came from the blueprint with fmi path "agent A"
    And request 2 came from the blueprint with fmi path "agent B"
    And the blueprint's cache holds 2 access tokens
    And every access-token key of the blueprint contains "-atext-"

  @requires-fmi_path
  Scenario: Asking again for the same fmi path is a cache hit
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1
    And the blueprint acquires an app token for fmi path "agent A"
    Then the token came from the cache
    And the token is the one remembered as T1
    And no request reached the IdP for it
    And exactly 1 request reached the IdP

  @requires-fmi_path @requires-cache
  Scenario: An app token without fmi path and one with it coexist
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token
    And the token is remembered as T0
    And the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1
    Then the blueprint's cache keys match the snapshot
    And exactly 2 requests reached the IdP
    And request 1 came from the blueprint
    And the blueprint's cache holds 2 access tokens
    When the blueprint acquires an app token
    Then the token came from the cache
    And the token is the one remembered as T0
    When the blueprint acquires an app token for fmi path "agent A"
    Then the token came from the cache
    And the token is the one remembered as T1
    And exactly 2 requests reached the IdP

  @requires-fmi_path
  Scenario: A lookup without fmi path never returns the fmi path's entry
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1
    And the blueprint acquires an app token
    Then the token came from the identity provider
    And the token is not the one remembered as T1
    And the last request had no "fmi_path"
    And exactly 2 requests reached the IdP

  # An fmi path outside ASCII ("é" is two bytes in UTF-8, "東" and "京"
  # three each): the netstring form prefixes each value with its length in
  # bytes, so a hash that counted characters would write another key. The
  # key, the sub and the body as sent are pinned in snapshots/<port>/.
  @requires-fmi_path @requires-cache
  Scenario: A non-ASCII fmi path is sent as UTF-8 and cached under its own key
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent-é/東京"
    Then the blueprint's cache keys match the snapshot
    And the token request bodies match the snapshot
    And the token came from the identity provider
    And the token's "sub" claim is "/eid1/c/pub/t/{tenant}/a/{blueprint}/agent-é/東京"
    And request 1 came from the blueprint with fmi path "agent-é/東京"
    And the blueprint's cache holds 1 access token
    When the blueprint acquires an app token for fmi path "agent-é/東京"
    Then the token came from the cache
    And exactly 1 request reached the IdP

  # MSAL Java and .NET refuse a null, empty or blank fmi path before any
  # request; MSAL Python only refuses a non-string (docs/protocol.md §2), so there the
  # IdP refuses it instead: a port difference to declare, not to hide.
  @requires-fmi_path
  Scenario: A blank fmi path is refused before any request
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for a blank fmi path
    Then the client refused before sending anything
    And exactly 0 requests reached the IdP

  # The legacy concat hash (MSAL .NET, older Java/Go/Python) joins key and
  # value without separator, so {fmi_path: "value"} and {fmi_pat: "hvalue"}
  # hash alike: a request carrying fmi_pat=hvalue would be served the token
  # cached for fmi path "value". Netstring prefixes lengths and does not
  # collide. Both keys are pinned side by side.
  @requires-fmi_path @requires-hash_algorithm @requires-cache
  Scenario Outline: The <algorithm> hash and the fmi_pat collision
    Given the blueprint app with a secret credential and the "<algorithm>" hash algorithm
    When the blueprint acquires an app token for fmi path "value"
    Then the blueprint's cache keys match the snapshot
    And the key of the blueprint's only access token ends with the <algorithm> hash of fmi_path="value"
    And the key of the blueprint's only access token <collides> with the <algorithm> hash of fmi_pat="hvalue"

    Examples:
      | algorithm | collides         |
      | concat    | ends             |
      | netstring | does not end     |

  # The full key layout of each profile (docs/protocol.md §4): the .NET/Java/Go/Python
  # layout ("atext" when hashed) and msal-node's, measured on 7.2.1
  # ("accesstoken", the token scheme slot empty for Bearer, hence a double
  # dash before the hash). Only the reference client can switch layouts;
  # each real port's own layout is pinned by its own snapshots.
  @requires-fmi_path @requires-cache
  Scenario Outline: The full keys under the <profile> key profile
    Given the blueprint app with a secret credential and the "<profile>" key profile
    When the blueprint acquires an app token
    And the blueprint acquires an app token for fmi path "agent A"
    Then the blueprint's cache keys match the snapshot
    And the blueprint's cache holds 2 access tokens

    Examples:
      | profile   |
      | atext     |
      | msal_node |
