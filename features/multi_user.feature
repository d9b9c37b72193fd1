@user_fic @multi_user
Feature: Several users of one agent, on every port
  The single-account fallback finding (docs/protocol.md §5): the first
  design of msal4j's cache-first user_fic returned the only cached account
  when none matched, so Bob's first request, made while only Alice was
  cached, came back with Alice's token. Whatever a port's policy (cache
  first like msal4j, or network first like MSAL Python, msal-node and
  MSAL Go), each user must get their own token, and the IdP spelling a
  username differently than the application asked (Carol) must not change
  that. No released port has the fallback; only the reference client can
  replay it (features/single_account_fallback.feature).

  Every scenario records what the client did (its answer, the requests,
  its cache keys) before it checks anything the port may fail. Rows that
  need a cache-first port say so with "the token came from the cache";
  network-first ports declare that step in fixtures/divergences.toml.

  Background:
    Given the blueprint app with a secret credential
    And agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2

  @review-finding @requires-user_fic
  Scenario: Bob's first request, made while only Alice is cached, returns Bob's token
    When agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as ALICE
    And agent A acquires a user token with T2 for "bob@contoso.com"
    Then the token request bodies match the snapshot
    And the token belongs to "bob@contoso.com"
    And the token is not the one remembered as ALICE
    And the token came from the identity provider
    And exactly 4 requests reached the IdP
    And agent A lists exactly 2 accounts

  @review-finding @requires-user_fic
  Scenario: With Carol cached under the IdP's spelling, Bob's first request returns Bob's token
    When agent A acquires a user token with T2 for "Carol@Contoso.com"
    And the token is remembered as CAROL
    And agent A acquires a user token with T2 for "bob@contoso.com"
    Then the client's answer matches the snapshot
    And the token belongs to "bob@contoso.com"
    And the token is not the one remembered as CAROL
    And the token came from the identity provider
    And exactly 4 requests reached the IdP

  @requires-user_fic
  Scenario: With two users cached, each request returns its own user's token
    When agent A acquires a user token with T2 for "alice@contoso.com"
    And agent A acquires a user token with T2 for "bob@contoso.com"
    And agent A acquires a user token with T2 for "alice@contoso.com"
    Then agent A's cache keys match the snapshot
    And the token belongs to "alice@contoso.com"
    When agent A acquires a user token with T2 for "bob@contoso.com"
    Then the token belongs to "bob@contoso.com"
    And agent A lists exactly 2 accounts

  @requires-user_fic
  Scenario: A repeated user_fic for a cached user is answered from the cache
    When agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as ALICE
    And agent A acquires a user token with T2 for "alice@contoso.com"
    Then the client's answer matches the snapshot
    And the token belongs to "alice@contoso.com"
    And agent A lists exactly 1 account
    And the token came from the cache
    And the token is the one remembered as ALICE
    And no request reached the IdP for it

  @requires-user_fic_by_oid
  Scenario: A user cached by UPN is the same user when asked for by object id
    When agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as ALICE
    And agent A acquires a user token with T2 for the object id of "alice@contoso.com"
    Then the client's answer matches the snapshot
    And the token belongs to "alice@contoso.com"
    And agent A lists exactly 1 account
    And the token came from the cache
    And the token is the one remembered as ALICE

  @requires-user_fic
  Scenario: The IdP spells Carol's name differently than asked, and she is still one user
    When agent A acquires a user token with T2 for "Carol@Contoso.com"
    And the token is remembered as CAROL
    Then the token belongs to "carol@contoso.com"
    And agent A lists the account "carol@contoso.com"
    When agent A acquires a user token with T2 for "CAROL@contoso.COM"
    Then the client's answer matches the snapshot
    And the token belongs to "carol@contoso.com"
    And agent A lists exactly 1 account
    And the token came from the cache
    And the token is the one remembered as CAROL
