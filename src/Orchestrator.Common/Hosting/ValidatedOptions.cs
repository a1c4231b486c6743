using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Orchestrator.Common.Hosting;

/// <summary>The options pattern as every process host uses it: bound from one configuration section, validated before the host is built and again at start.</summary>
public static class ValidatedOptions
{
    /// <summary>
    /// Binds and validates <paramref name="section"/> right away (listeners, silos and clients need the values before
    /// the host is built) and registers it for <see cref="IOptions{TOptions}"/> with validation on start. Throws
    /// <see cref="OptionsValidationException"/> whose message names every bad key.
    /// </summary>
    public static TOptions AddValidatedOptions<TOptions, TValidator>(this IHostApplicationBuilder builder, string section)
        where TOptions : class, new()
        where TValidator : class, IValidateOptions<TOptions>, new()
    {
        builder.Services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        builder.Services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();

        var options = builder.Configuration.GetSection(section).Get<TOptions>() ?? new TOptions();
        var result = new TValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(section, typeof(TOptions), result.Failures);
        }

        return options;
    }
}
