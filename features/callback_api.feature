@assertions @callback_api
Feature: The assertion callback's API surface
  Callbacks written before the callback had a context keep working: MSAL
  Python calls a callable that takes no positional argument without one,
  msal4j keeps `Callable<String>` beside the context function
  (docs/protocol.md §3). And an error raised inside the callback is the
  application's to see: the port must hand it over, not swallow it and
  send a request without a client assertion.

  Background:
    Given the blueprint app with a secret credential
    When the blueprint acquires an app token for fmi path "agent A"
    And the token is remembered as T1

  @requires-fmi_path @requires-legacy_callback
  Scenario: A legacy zero-argument callback still authenticates the agent
    Given agent A whose legacy zero-argument assertion callback returns T1
    When agent A acquires an app token
    Then the token request bodies match the snapshot
    And the token came from the identity provider
    And the last request came from agent A
    And the last request authenticated with jwt_bearer
    And agent A's assertion callback was called 1 time without a context

  @requires-fmi_path
  Scenario: An error raised inside the callback reaches the application
    Given agent A whose assertion callback fails with "callback-failure-7f3a"
    When agent A acquires an app token
    Then the client's answer matches the snapshot
    And the client refused before sending anything
    And the client's refusal says "callback-failure-7f3a"
