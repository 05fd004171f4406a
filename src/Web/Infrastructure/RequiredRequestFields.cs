using System.Reflection;
using System.Text.Json.Serialization.Metadata;

namespace TransferHub.Web.Infrastructure;

/// <summary>
/// A request body must carry what its record cannot do without: a constructor parameter with no default and a type that
/// cannot be null is required, and null is refused for it. Without this a missing <c>stage</c> read as the enum's first
/// value (a transition to no stage) and a missing <c>roles</c> as "no roles" — a 200 for a body that said nothing.
/// Nullable parameters stay optional, as clients send them today.
/// </summary>
public static class RequiredRequestFields
{
    public static void Apply(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || info.Type.Namespace?.StartsWith("TransferHub.", StringComparison.Ordinal) != true
            || !info.Type.Name.EndsWith("Request", StringComparison.Ordinal)
            || info.Type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault() is not { } constructor)
        {
            return;
        }
        var nullability = new NullabilityInfoContext();
        foreach (var parameter in constructor.GetParameters().Where(p => !p.HasDefaultValue && !CanBeNull(p, nullability)))
        {
            if (info.Properties.FirstOrDefault(p => string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase)) is { } property)
            {
                property.IsRequired = true;
                property.IsSetNullable = false;
            }
        }
    }

    private static bool CanBeNull(ParameterInfo parameter, NullabilityInfoContext nullability) =>
        parameter.ParameterType.IsValueType ? Nullable.GetUnderlyingType(parameter.ParameterType) is not null
            : nullability.Create(parameter).WriteState != NullabilityState.NotNull;
}
