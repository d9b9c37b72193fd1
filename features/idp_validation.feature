@idp
Feature: The mock IdP refuses what Entra refuses
  Every refusal of the mock, with its AADSTS code and HTTP status pinned,
  and its error body (Entra's shape: error, error_description, error_codes,
  timestamp, trace_id, correlation_id, error_uri) in snapshots/<port>/ with
  trace ids, timestamps and the mock's port redacted.

  These requests are hostile on purpose, which no client would send, so they
  are posted straight to the mock over TLS instead of through the client
  under test; the outcome is the same for every port. Codes 9990001 and up
  are the mock's own (no public Entra code is known for that refusal, see
  docs/mock-entra.md). AADSTS700211 (no record for the assertion's issuer)
  is reached with the mock's own issuer spelled with an upper-case tenant
  id: records match issuers exactly, and a token from an issuer the mock
  does not know at all is read as a certificate assertion (AADSTS700027).

  Scenario Outline: The mock refuses <case>
    When a raw token request is posted with <case>
    Then the mock refuses it with AADSTS<code> and status <status>
    And the refusal body matches the snapshot

    Examples: The request itself
      | case                                  | code    | status |
      | an unsupported grant type             | 70003   | 400    |
      | no grant type                         | 900144  | 400    |
      | no scope                              | 900144  | 400    |
      | a resource scope without /.default    | 1002012 | 400    |
      | two resources in the scope            | 70011   | 400    |
      | an unknown resource                   | 500011  | 400    |
      | an fmi path with a dot-dot segment    | 9990008 | 400    |
      | mtls_pop without a client certificate | 9990010 | 400    |
      | a duplicated parameter                | 9990002 | 400    |
      | a JSON body                           | 9990003 | 400    |
      | an undecodable body                   | 9002313 | 400    |
      | a body over 64 KiB                    | 9990001 | 413    |
      | an unknown tenant                     | 90002   | 400    |
      | an unknown endpoint                   | 9990014 | 404    |
      | instance discovery for another host   | 50049   | 400    |

    Examples: Client authentication
      | case                                              | code    | status |
      | no client credential                              | 7000218 | 400    |
      | no client id                                      | 900144  | 400    |
      | a wrong client secret                             | 7000215 | 401    |
      | an unknown client id                              | 700016  | 400    |
      | an unknown assertion type                         | 9990004 | 400    |
      | a garbage assertion                               | 50027   | 400    |
      | an unsigned assertion                             | 700027  | 401    |
      | an assertion for another audience                 | 700023  | 401    |
      | an assertion issued by another app                | 700021  | 401    |
      | an expired assertion                              | 700024  | 401    |
      | an assertion not valid yet                        | 700024  | 401    |
      | an assertion valid for three days                 | 9990007 | 401    |
      | an assertion without jti                          | 9990005 | 401    |
      | an assertion with an unknown thumbprint           | 700027  | 401    |
      | a reused jti in a different assertion             | 9990006 | 401    |
      | a jwt-pop assertion without a client certificate  | 9990009 | 401    |
      | Basic credentials naming another client           | 9990013 | 400    |

    Examples: Federated credentials (T1 in Leg 2)
      | case                                                   | code   | status |
      | T1 for agent A presented by agent B                    | 700213 | 401    |
      | T1 presented by an app without federated credentials   | 70021  | 401    |
      | T1 re-signed for another audience                      | 700212 | 401    |
      | T1 re-signed with its issuer's tenant id in upper case | 700211 | 401    |
      | a user token presented as T1                           | 700229 | 401    |
      | T1 with a forged signature                             | 700027 | 401    |
      | an expired T1                                          | 700024 | 401    |

    Examples: user_fic (Leg 3)
      | case                                        | code    | status |
      | a user_fic for an unknown user              | 50034   | 400    |
      | a user_fic without openid                   | 70011   | 400    |
      | a user_fic for an undefined scope           | 70011   | 400    |
      | a user_fic with both username and user_id   | 9990011 | 400    |
      | a user_fic without a user credential        | 900144  | 400    |
      | a user_fic with T2 of another agent         | 9990012 | 400    |
      | a user_fic with T1 as the user credential   | 9990012 | 400    |
      | a user_fic with an expired T2               | 500133  | 400    |
      | a user_fic with a forged T2                 | 50013   | 400    |
      | a T2 re-signed for another audience         | 70000   | 400    |

    Examples: Refresh tokens
      | case                                   | code   | status |
      | a refresh token the mock did not issue | 70000  | 400    |
      | a refresh token of another client      | 70000  | 400    |
      | an expired refresh token               | 700082 | 400    |
