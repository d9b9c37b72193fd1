// An ordinary confidential client: MSAL Go with its production authority
// and default settings. Nothing here knows about the mock; the environment
// (HTTPS_PROXY, SSL_CERT_FILE) decides where it connects.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
)

func main() {
	cred, err := confidential.NewCredFromSecret(os.Getenv("CLIENT_SECRET"))
	if err != nil {
		fail(err)
	}
	app, err := confidential.New("https://login.microsoftonline.com/"+os.Getenv("TENANT_ID"), os.Getenv("CLIENT_ID"), cred)
	if err != nil {
		fail(err)
	}
	result, err := app.AcquireTokenByCredential(context.Background(),
		[]string{"api://AzureADTokenExchange/.default"}, confidential.WithFMIPath(os.Getenv("FMI_PATH")))
	if err != nil {
		fail(err)
	}
	fmt.Printf("token acquired: Bearer, expires in %d s\n", int(time.Until(result.ExpiresOn).Seconds()))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "no token:", err)
	os.Exit(1)
}
