import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.ClientCredentialParameters;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import java.util.Set;

/**
 * An ordinary confidential client: msal4j with its production authority and
 * default settings. Nothing here knows about the mock; the JVM's system
 * properties (https.proxyHost/https.proxyPort, javax.net.ssl.trustStore)
 * decide where it connects.
 */
public class App {
    public static void main(String[] args) throws Exception {
        ConfidentialClientApplication app = ConfidentialClientApplication
                .builder(System.getenv("CLIENT_ID"),
                        ClientCredentialFactory.createFromSecret(System.getenv("CLIENT_SECRET")))
                .authority("https://login.microsoftonline.com/" + System.getenv("TENANT_ID"))
                .build();
        IAuthenticationResult result = app.acquireToken(ClientCredentialParameters
                .builder(Set.of("api://AzureADTokenExchange/.default"))
                .fmiPath(System.getenv("FMI_PATH"))
                .build()).get();
        long seconds = (result.expiresOnDate().getTime() - System.currentTimeMillis()) / 1000;
        System.out.println("token acquired: Bearer, expires in " + seconds + " s");
    }
}
