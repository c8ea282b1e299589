using Granary.Gateway.Agents;
using Granary.Gateway.Apps;
using Granary.Gateway.Auth;
using Granary.Gateway.Health;
using Granary.Gateway.Hosting;
using Granary.Gateway.Info;
using Granary.Gateway.Sessions;
using Granary.Gateway.Terminals;
using Granary.Gateway.Users;

var builder = WebApplication.CreateBuilder(args);
builder.AddGranaryCluster();
builder.AddGranaryGateway();
builder.AddGranaryAuth();
builder.Services.AddOpenApi(options => options.AddDocumentTransformer<BearerSecurityTransformer>());

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseVendorFiles();
app.UseWebSockets();
app.UseAuthentication();
app.UseAuthorization();
app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
app.MapHealthApi();
app.MapSessionsApi();
app.MapAgentsApi();
app.MapUsersApi();
app.MapInfoApi();
app.MapAuthApi();
app.MapAppProxyApi();
app.MapTerminalApi();
app.Run();

public partial class Program;
