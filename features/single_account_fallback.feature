@user_fic @account_lookup
Feature: Account lookup before user_fic (the single-account fallback finding)
  MSAL Java's user_fic (PR #1026) looks in the cache first, finding the
  account by object id or by UPN (case-insensitive). Its first version also
  had a single-account fallback: when nothing matched but the cache held
  exactly one account, it returned that one, so Bob's first request was
  silently answered with Alice's cached token. The fix removed the fallback
  (docs/protocol.md §5). Only the reference client can choose a policy, so these rows
  are the reference's alone: no released port has the fallback, and none
  has an option for it. Every port runs the strict behaviour in
  features/multi_user.feature.

  Background:
    Given the blueprint app with a secret credential

  @review-finding @requires-account_lookup @requires-user_fic
  Scenario Outline: With Alice's token cached, Bob's first request under <policy>
    Given agent A with the "<policy>" account lookup whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires a user token with T2 for "alice@contoso.com"
    Then the token belongs to "alice@contoso.com"
    And the token is remembered as ALICE
    When agent A acquires a user token with T2 for "bob@contoso.com"
    Then the token came from <source>
    And the token belongs to "<owner>"
    And exactly <requests> requests reached the IdP

    Examples:
      | policy                  | source                | owner             | requests |
      | strict                  | the identity provider | bob@contoso.com   | 4        |
      | single_account_fallback | the cache             | alice@contoso.com | 3        |

  @requires-account_lookup @requires-user_fic
  Scenario: With two accounts cached, each user gets their own token
    Given agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as ALICE
    And agent A acquires a user token with T2 for "bob@contoso.com"
    And the token is remembered as BOB
    And agent A acquires a user token with T2 for "alice@contoso.com"
    Then the token came from the cache
    And the token is the one remembered as ALICE
    When agent A acquires a user token with T2 for "bob@contoso.com"
    Then the token came from the cache
    And the token is the one remembered as BOB
    And exactly 4 requests reached the IdP

  @requires-account_lookup @requires-user_fic @requires-user_fic_by_oid
  Scenario: The cached account is found by its object id
    Given agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires a user token with T2 for "alice@contoso.com"
    And the token is remembered as ALICE
    And agent A acquires a user token with T2 for the object id of "alice@contoso.com"
    Then the token came from the cache
    And the token is the one remembered as ALICE
    And no request reached the IdP for it

  @requires-account_lookup @requires-user_fic
  Scenario: The cached account is found by UPN regardless of case (Carol)
    Given agent A whose assertion callback gets T1 from the blueprint
    When agent A acquires an app token
    And the token is remembered as T2
    And agent A acquires a user token with T2 for "Carol@Contoso.com"
    And the token is remembered as CAROL
    Then the token belongs to "carol@contoso.com"
    When agent A acquires a user token with T2 for "CAROL@contoso.COM"
    Then the token came from the cache
    And the token is the one remembered as CAROL
    And no request reached the IdP for it
